/**
 * TLS to a backend, as its BackendTLSPolicy says: the policy's hostname as
 * SNI, the chain checked against the policy's CA certificates (or the
 * well-known roots), and the certificate's name checked against the
 * hostname, or, when `subjectAltNames` is set, against those names instead.
 *
 * Deno verifies a name only against the SNI it sent, so with
 * `subjectAltNames` the handshake runs with hostname verification off (the
 * chain is still verified) and the names are checked here, from the peer
 * certificate's `subjectaltname` text that Deno 2.9.6 exposes through the
 * internal `getPeerCertificate` symbol (checked by {@linkcode peerSubjectAltNames}).
 * Deno adds a policy's CA certificates to its well-known roots rather than
 * replacing them. A Gateway's backend client certificate needs `connectTls`
 * (`startTls` takes none), so that connection is dialled a second time.
 * @module
 */
import type { BackendTlsConfig } from "../model/config.ts";
import { UpstreamError } from "./upstream_types.ts";

/** Deno 2.9.6's option key for the SNI of `connectTls` when dialing an address. */
const SERVER_NAME = Symbol.for("unstableServerName");

/**
 * Starts TLS on a connected TCP socket; throws an {@linkcode UpstreamError}
 * (`connect`) when the handshake or a name check fails. Takes ownership of
 * `tcp` (closed on failure). `alpnProtocols` are offered in the handshake
 * (HTTP/2 backends are asked for `h2`); the caller reads the choice from
 * `handshake()`.
 */
export async function startBackendTls(
  tcp: Deno.TcpConn,
  tls: BackendTlsConfig,
  where: string,
  signal?: AbortSignal,
  alpnProtocols?: string[],
): Promise<Deno.TlsConn> {
  if (tls.invalid !== undefined) {
    tcp.close();
    throw new UpstreamError("connect", `Cannot open TLS to ${where}: ${tls.invalid}`);
  }
  const sans = tls.subjectAltNames;
  const checkSans = sans !== undefined && sans.length > 0;
  let conn: Deno.TlsConn | undefined;
  // A backend that accepts TCP and never answers the handshake is cut off by
  // the caller's connect deadline: closing the socket ends the handshake.
  const abort = () => {
    try {
      (conn ?? tcp).close();
    } catch {
      // Already closed.
    }
  };
  signal?.addEventListener("abort", abort, { once: true });
  try {
    signal?.throwIfAborted();
    const client = tls.clientCertificate;
    if (client === undefined) {
      conn = await Deno.startTls(tcp, {
        hostname: tls.serverName,
        caCerts: tls.caCertificates ?? [],
        unsafelyDisableHostnameVerification: checkSans,
        alpnProtocols,
      });
    } else {
      // `startTls` takes no client certificate: dial again with `connectTls`,
      // which does, and names the SNI through Deno's `unstableServerName`.
      const { hostname, port } = tcp.remoteAddr;
      tcp.close();
      conn = await Deno.connectTls(
        {
          hostname,
          port,
          caCerts: tls.caCertificates ?? [],
          unsafelyDisableHostnameVerification: checkSans,
          cert: client.certPem,
          key: client.keyPem,
          alpnProtocols,
          [SERVER_NAME]: tls.serverName,
        } as Deno.ConnectTlsOptions & Deno.TlsCertifiedKeyPem,
      );
    }
    // Aborted while `startTls`/`connectTls` ran: the close could not reach this socket yet.
    signal?.throwIfAborted();
    await conn.handshake();
    if (checkSans) {
      const presented = peerSubjectAltNames(conn);
      if (!sans.some((want) => presented.some((have) => sanMatches(want, have)))) {
        throw new Error(
          `certificate names ${
            presented.join(", ") || "(none)"
          } match no subjectAltName of ${tls.policy}`,
        );
      }
    }
    return conn;
  } catch (error) {
    try {
      (conn ?? tcp).close();
    } catch {
      // Already closed by the failed handshake.
    }
    throw new UpstreamError(
      signal?.aborted ? "timeout" : "connect",
      `Cannot open TLS to ${where} as ${tls.serverName}: ${
        signal?.aborted ? "no handshake before the connect deadline" : (error as Error).message
      }`,
      { cause: error },
    );
  } finally {
    signal?.removeEventListener("abort", abort);
  }
}

const poolKeys = new WeakMap<BackendTlsConfig, string>();

/**
 * The key that pools connections per TLS settings, not per policy name: a
 * policy edited to trust another CA must not reuse connections the old CA
 * verified. Tables are frozen, so the text is computed once per table.
 */
export function tlsPoolKey(tls: BackendTlsConfig): string {
  let key = poolKeys.get(tls);
  if (key === undefined) poolKeys.set(tls, key = JSON.stringify(tls));
  return key;
}

/** A presented name: `DNS:<name>` or `URI:<uri>`, as the certificate text lists them. */
export function sanMatches(
  want: { type: "Hostname" | "URI"; value: string },
  have: string,
): boolean {
  if (want.type === "URI") return have === `URI:${want.value}`;
  if (!have.startsWith("DNS:")) return false;
  const name = have.slice(4).toLowerCase();
  const host = want.value.toLowerCase();
  if (name === host) return true;
  // A wildcard certificate name covers exactly one leftmost label.
  if (name.startsWith("*.")) {
    const dot = host.indexOf(".");
    return dot > 0 && host.slice(dot) === name.slice(1);
  }
  return false;
}

/** The `DNS:`/`URI:` entries of the peer certificate's subjectAltName. */
export function peerSubjectAltNames(conn: Deno.TlsConn): string[] {
  const key = (Deno as unknown as { internal?: symbol }).internal;
  const internals = key === undefined
    ? undefined
    : (Deno as unknown as Record<symbol, { getPeerCertificate?: symbol }>)[key];
  const symbol = internals?.getPeerCertificate;
  const read = symbol === undefined
    ? undefined
    : (conn as unknown as Record<symbol, (detailed: boolean) => unknown>)[symbol];
  if (typeof read !== "function") {
    throw new Error(
      `Deno ${Deno.version.deno} does not expose the peer certificate (getPeerCertificate)`,
    );
  }
  const cert = read.call(conn, false) as { subjectaltname?: string } | null;
  const text = cert?.subjectaltname ?? "";
  return text.split(",").map((s) => s.trim()).filter((s) => s !== "");
}
