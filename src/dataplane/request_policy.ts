/**
 * How the data plane treats what a client may use to confuse a backend:
 * header names with underscores, a client-written `X-Forwarded-For`, and
 * escaped path separators. One plain object, set from flags and sent to
 * every data-plane worker, so every port applies the same rules.
 * @module
 */

/**
 * Header names with `_`: several backends (CGI, PHP, many frameworks) read
 * `X_Internal` and `X-Internal` as one name, so a client could send a header
 * beside the one a route sets. `drop` is nginx's default
 * (`underscores_in_headers off`); `reject` answers 400; `allow` forwards them.
 */
export type UnderscoreHeaderPolicy = "allow" | "drop" | "reject";

/**
 * Escaped separators in a path (`%2F`, `%5C`, either case). A backend that
 * decodes them (or reads `\` as `/`) sees other segments than routing saw,
 * so a rule for a longer prefix could be bypassed. `keep` (the default, as
 * Envoy's) forwards them encoded, but only when decoding them would select
 * the same rule and make no `.`/`..`/empty segment, else 400: APIs that put
 * `%2F` inside one segment keep working and no rule can be bypassed.
 * `redirect` answers 307 to the path with them decoded and normalised (Envoy
 * Gateway's default), `reject` answers 400, `unescape` decodes them and
 * routes and forwards the result.
 */
export type EscapedSlashPolicy = "redirect" | "reject" | "unescape" | "keep";

/** The request policy of every data-plane port. */
export interface RequestPolicy {
  underscoreHeaders: UnderscoreHeaderPolicy;
  /**
   * How many proxies in front of the gateway are trusted to append to
   * `X-Forwarded-For`: the rightmost this many entries a client sends are
   * kept, the rest dropped, then the peer address is appended. 0 (default):
   * a client's `X-Forwarded-For` is never forwarded, nor its `Forwarded` or
   * `X-Real-IP` (other claims of a client address).
   */
  xffTrustedHops: number;
  escapedSlashes: EscapedSlashPolicy;
  /**
   * `--access-log on`: one `request` line per request through the logger,
   * and an `x-request-id` sent upstream when the client sent none. Off by
   * default: the line costs throughput (measured in the README).
   */
  accessLog?: boolean;
}

/** The defaults: safe for a gateway that faces clients directly. */
export const DEFAULT_REQUEST_POLICY: Readonly<RequestPolicy> = Object.freeze({
  underscoreHeaders: "drop",
  xffTrustedHops: 0,
  escapedSlashes: "keep",
});

/**
 * The `X-Forwarded-For` value to send: the rightmost `trustedHops` entries
 * of the client's header (entries a trusted proxy appended), then `peer`.
 *
 * @example
 * ```ts
 * import { forwardedFor } from "./request_policy.ts";
 * forwardedFor("6.6.6.6, 10.0.0.2", "10.0.0.3", 1); // "10.0.0.2, 10.0.0.3"
 * forwardedFor("6.6.6.6", "10.0.0.3", 0); // "10.0.0.3"
 * ```
 */
export function forwardedFor(client: string | null, peer: string, trustedHops: number): string {
  if (client === null || trustedHops <= 0) return peer;
  const entries = client.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const kept = entries.slice(Math.max(0, entries.length - trustedHops));
  return kept.length === 0 ? peer : `${kept.join(", ")}, ${peer}`;
}
