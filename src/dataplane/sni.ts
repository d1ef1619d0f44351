/**
 * Certificate choice per TLS handshake on one HTTPS port. The port's
 * listeners are tried from the most specific hostname to the least: exact
 * names, then wildcards with more labels first, then the listener without
 * hostname, which is also the answer for an unknown name or a client that
 * sent no SNI. Without such a listener, an unknown name fails the handshake.
 * A listener serves the first of its certificates that `translate` resolved
 * (`ListenerConfig.tls.certificateIds` order).
 *
 * The result is frozen and carries a fingerprint of everything that decides
 * what a handshake gets, so the port server knows when it must rotate.
 * @module
 */
import { createHash } from "node:crypto";
import type {
  CertificateConfig,
  ClientValidationConfig,
  ListenerConfig,
  PortConfig,
} from "../model/config.ts";
import type { TlsKeyPair } from "./tls_server.ts";
import { compareHostnameSpecificity, hostnameMatches } from "../translate/hostname.ts";

/** One listener of the port, with the certificate it serves. */
export interface SniEntry {
  listenerId: string;
  /** `null`: the default listener. Lower case. */
  hostname: string | null;
  certificateId: string;
  /** Set when the listener validates client certificates (`tls_client_auth.ts`). */
  clientValidation?: ClientValidationConfig;
}

/** The certificate choice of one port, built once per table. */
export interface SniCertificates {
  readonly port: number;
  /** Most specific first. */
  readonly entries: readonly SniEntry[];
  /** Changes exactly when some handshake would get another certificate. */
  readonly fingerprint: string;
  /** The entry a server name selects (`""`: no SNI). */
  entryFor(serverName: string): SniEntry | undefined;
  /**
   * The key pair a server name gets from Deno's TLS listener, or `undefined`
   * (handshake fails). Also `undefined` for a listener that validates client
   * certificates: Deno's listener cannot, so it must not serve that name.
   */
  resolve(serverName: string): TlsKeyPair | undefined;
  /** The key pair of one of `entries`. */
  keyPairOf(entry: SniEntry): TlsKeyPair | undefined;
  /**
   * Set when every server name, and no SNI at all, gets this one key pair:
   * a listener without hostname is the default, every entry serves the same
   * certificate, and none validates client certificates. A TLS listener can
   * then be given the pair itself instead of a per-name resolver, which
   * spares each handshake the resolver's round trip through the isolate's
   * event loop and a server configuration built for it.
   */
  readonly uniformKeyPair?: TlsKeyPair;
}

/** Lower case, without a trailing dot (a fully qualified name is the same host). */
export function normalizeServerName(serverName: string): string {
  const lower = serverName.toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

function certificateFor(
  listener: ListenerConfig,
  byId: ReadonlyMap<string, CertificateConfig>,
): CertificateConfig | undefined {
  for (const id of listener.tls?.certificateIds ?? []) {
    const certificate = byId.get(id);
    if (certificate !== undefined) return certificate;
  }
  return undefined;
}

/**
 * Builds the certificate choice of an HTTPS port from the table's port
 * config and `TranslateResult.certificates`.
 *
 * @example
 * ```ts
 * import { sniCertificatesFor } from "./sni.ts";
 * const sni = sniCertificatesFor({ port: 443, protocol: "HTTPS", listeners: [] }, []);
 * sni.resolve("a.example.com"); // undefined: no listener, the handshake fails
 * ```
 */
export function sniCertificatesFor(
  port: PortConfig,
  certificates: readonly CertificateConfig[],
): SniCertificates {
  const byId = new Map(certificates.map((c) => [c.id, c]));
  const pairs = new Map<string, TlsKeyPair>();
  const entries: SniEntry[] = [];
  for (const listener of port.listeners) {
    const certificate = certificateFor(listener, byId);
    if (certificate === undefined) continue;
    pairs.set(certificate.id, { cert: certificate.certPem, key: certificate.keyPem });
    entries.push({
      listenerId: listener.id,
      hostname: listener.hostname === null ? null : normalizeServerName(listener.hostname),
      certificateId: certificate.id,
      ...(listener.tls?.clientValidation
        ? { clientValidation: listener.tls.clientValidation }
        : {}),
    });
  }
  // The table lists listeners most specific first already; sorting again with
  // the same rule keeps hand-built port configs (tests) right too.
  entries.sort((a, b) => compareHostnameSpecificity(a.hostname, b.hostname));

  const exact = new Map<string, SniEntry>();
  const wildcards: SniEntry[] = [];
  let fallback: SniEntry | undefined;
  for (const entry of entries) {
    if (entry.hostname === null) fallback ??= entry;
    else if (entry.hostname.startsWith("*.")) wildcards.push(entry);
    else if (!exact.has(entry.hostname)) exact.set(entry.hostname, entry);
  }

  const hash = createHash("sha256");
  for (const entry of entries) {
    const pair = pairs.get(entry.certificateId)!;
    hash.update(`${entry.listenerId}\0${entry.hostname ?? ""}\0${entry.certificateId}\0`);
    hash.update(entry.clientValidation ? "client-auth\0" : "\0");
    hash.update(pair.cert).update("\0").update(pair.key).update("\0");
  }
  const fingerprint = hash.digest("hex");

  const entryFor = (serverName: string): SniEntry | undefined => {
    const name = normalizeServerName(serverName);
    if (name !== "") {
      const found = exact.get(name);
      if (found !== undefined) return found;
      for (const entry of wildcards) if (hostnameMatches(entry.hostname!, name)) return entry;
    }
    return fallback;
  };

  const def = fallback;
  const uniformKeyPair = def !== undefined &&
      entries.every((e) => e.certificateId === def.certificateId && !e.clientValidation)
    ? pairs.get(def.certificateId)
    : undefined;
  return Object.freeze({
    port: port.port,
    entries: Object.freeze(entries.map((e) => Object.freeze(e))),
    fingerprint,
    entryFor,
    resolve(serverName: string): TlsKeyPair | undefined {
      const entry = entryFor(serverName);
      if (entry === undefined || entry.clientValidation) return undefined;
      return pairs.get(entry.certificateId);
    },
    keyPairOf: (entry: SniEntry) => pairs.get(entry.certificateId),
    ...(uniformKeyPair === undefined ? {} : { uniformKeyPair }),
  });
}
