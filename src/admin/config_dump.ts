/**
 * The `/config` document: everything the running gateway knows about itself,
 * in one JSON object, with every private key left out. Certificates appear as
 * id, DNS names and expiry only; on top of that, the serialiser replaces any
 * string that holds a PEM private key (wherever it comes from, e.g. an `extra`
 * section) and any `keyPem` field, so a key cannot reach the output by a path
 * this module did not foresee.
 *
 * @example
 * ```ts
 * import { buildConfigDump, stringifyRedacted } from "./config_dump.ts";
 * import type { GatewayState } from "./gateway_state.ts";
 * declare const state: GatewayState;
 * const body = stringifyRedacted(buildConfigDump(state, "0.1.0"));
 * ```
 * @module
 */
import type { GatewayState } from "./gateway_state.ts";
import type { BackendConfig, CertificateConfig } from "../model/config.ts";

/** What replaces a private key in the output. */
export const REDACTED = "[redacted]";

/** A PEM private key block of any flavour (PKCS#8, RSA, EC, encrypted). */
const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/** A certificate as `/config` shows it. */
export interface CertificateSummary {
  id: string;
  dnsNames: string[];
  notAfter: string;
}

/** Ready endpoints of one backend, as `/config` shows them. */
export interface BackendEndpoints {
  protocol: BackendConfig["protocol"];
  endpoints: BackendConfig["endpoints"];
}

/** Builds the `/config` document from the current state (read once, here). */
export function buildConfigDump(state: GatewayState, version: string): Record<string, unknown> {
  const result = state.result();
  const source = state.source();
  return {
    version,
    readiness: state.readiness(),
    lastRebuild: state.lastRebuild() ?? null,
    source: {
      kind: source.kind,
      syncState: source.syncState,
      problems: source.problems,
    },
    listeners: state.listeners(),
    config: result?.config ?? null,
    endpoints: result ? endpointsByBackend([...result.config.rules.values()]) : {},
    certificates: (result?.certificates ?? []).map(summarizeCertificate),
    statuses: result?.statuses ?? [],
    problems: result?.problems ?? [],
    extra: state.extra?.() ?? {},
  };
}

/** JSON text of `value` (two-space indented) with private keys replaced by {@linkcode REDACTED}. */
export function stringifyRedacted(value: unknown): string {
  return JSON.stringify(value, redactPrivateKeys, 2);
}

function redactPrivateKeys(key: string, value: unknown): unknown {
  if (key === "keyPem") return REDACTED;
  if (typeof value === "string" && PRIVATE_KEY.test(value)) return REDACTED;
  return value;
}

function summarizeCertificate(cert: CertificateConfig): CertificateSummary {
  return { id: cert.id, dnsNames: [...cert.dnsNames], notAfter: cert.notAfter };
}

/** Backends by id (sorted), each listed once however many rules use it. */
function endpointsByBackend(
  rules: readonly { backends: readonly BackendConfig[] }[],
): Record<string, BackendEndpoints> {
  const byId = new Map<string, BackendEndpoints>();
  for (const rule of rules) {
    for (const backend of rule.backends) {
      if (!byId.has(backend.id)) {
        byId.set(backend.id, { protocol: backend.protocol, endpoints: backend.endpoints });
      }
    }
  }
  return Object.fromEntries([...byId].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
