/**
 * Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, so a
 * proxy removes them in both directions, together with every header the
 * `Connection` header lists.
 * @module
 */

/** Lower-case names that never cross the proxy. */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/**
 * Names a modifier cannot set: the proxy writes `Host` and the framing, and
 * hop-by-hop headers describe the connection to the backend, not the route.
 */
export const NOT_MODIFIABLE: ReadonlySet<string> = new Set([
  "host",
  "content-length",
  ...HOP_BY_HOP_HEADERS,
]);

/**
 * The lower-case header names listed in a `Connection` header value, or
 * `undefined` when it lists nothing beyond the usual `close`/`keep-alive`
 * (the common case, kept allocation-free).
 *
 * @example
 * ```ts
 * import { connectionListedHeaders } from "./hop_by_hop.ts";
 * connectionListedHeaders("keep-alive, X-Trace"); // Set { "x-trace" }
 * ```
 */
export function connectionListedHeaders(value: string | null): Set<string> | undefined {
  // A lone `close` or `keep-alive` as the parsers make it (nearly every head's) costs no lower-casing.
  if (value === null || value === "keep-alive" || value === "close") return undefined;
  const lower = value.toLowerCase();
  if (lower === "close" || lower === "keep-alive") return undefined;
  let listed: Set<string> | undefined;
  for (const token of lower.split(",")) {
    const name = token.trim();
    if (name === "" || name === "close" || name === "keep-alive") continue;
    (listed ??= new Set()).add(name);
  }
  return listed;
}

/** Whether `name` (lower-case) must be dropped given the `Connection`-listed names. */
export function isHopByHop(name: string, listed: Set<string> | undefined): boolean {
  return HOP_BY_HOP_HEADERS.has(name) || (listed !== undefined && listed.has(name));
}
