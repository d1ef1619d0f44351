/**
 * The headers sent to a backend and back to the client: hop-by-hop headers
 * removed both ways, `X-Forwarded-For` written as the trust policy says,
 * `X-Forwarded-Proto` and `X-Forwarded-Host` set, `Expect` dropped (the
 * listener already answered it), route modifiers applied last.
 * @module
 */
import type { HeaderModifierConfig } from "../model/config.ts";
import { applyHeaderModifier } from "./header_modifier.ts";
import { connectionListedHeaders, HOP_BY_HOP_HEADERS, NOT_MODIFIABLE } from "./hop_by_hop.ts";
import type { UnderscoreHeaderPolicy } from "./request_policy.ts";
import type { HeaderLookup } from "../router/router.ts";
import { HeadFields } from "./head_fields.ts";
import {
  type ClientHeaders,
  type ForwardHeadersInput,
  pushGatewayForwarded,
} from "./client_headers.ts";
import { forwardRequestFields, readHeadFields } from "./head_forwarding.ts";

export type { ClientHeaders, ForwardHeadersInput } from "./client_headers.ts";

/**
 * Reads `headers` once: the few the proxy needs by name and the rest as a
 * flat list, in the sorted, combined order `Headers` iterates. One pass
 * costs less than several `get` calls, each of which is a call into the
 * `Headers` implementation (for a served request, the first ones even go to
 * the runtime for one header at a time). Names with
 * `_` are left out of `pairs` unless `underscores` is `allow`.
 *
 * @example
 * ```ts
 * import { readClientHeaders } from "./forward_headers.ts";
 * readClientHeaders(new Headers({ host: "a.com", "x-a": "1" }), "drop").pairs; // ["x-a", "1"]
 * ```
 */
export function readClientHeaders(
  headers: HeaderLookup,
  underscores: UnderscoreHeaderPolicy,
): ClientHeaders {
  if (headers instanceof HeadFields) return readHeadFields(headers, underscores);
  const out: ClientHeaders = {
    host: null,
    contentLength: null,
    connection: null,
    forwardedFor: null,
    transferEncoding: false,
    underscore: false,
    pairs: [],
  };
  // `forEach`, not `for…of`: the `Headers` iterator makes an iterator object
  // and a result and an entry array per header, measured here at ~10 us for
  // four headers against ~2 us for `forEach`.
  headers.forEach((value, name) => {
    switch (name) {
      case "host":
        out.host = value;
        return;
      case "content-length":
        out.contentLength = value;
        return;
      case "connection":
        out.connection = value;
        return;
      case "x-forwarded-for":
        out.forwardedFor = value;
        return;
      case "transfer-encoding":
        out.transferEncoding = true;
        return;
      case "x-forwarded-proto":
      case "x-forwarded-host":
      case "expect":
        return;
    }
    if (name.includes("_")) {
      out.underscore = true;
      if (underscores !== "allow") return;
    }
    out.pairs.push(name, value);
  });
  return out;
}

/**
 * The flattened `[name, value, …]` header list for the upstream request.
 * The order is what makes a route's headers hold: the client's headers
 * first lose hop-by-hop ones (and those its `Connection` lists), then the
 * proxy's `X-Forwarded-*` are added, and the route's modifiers run last, so
 * a client can neither remove (`Connection: x-internal`) nor override what
 * a route sets.
 *
 * @example
 * ```ts
 * import { forwardRequestHeaders, readClientHeaders } from "./forward_headers.ts";
 * const headers = new Headers({ connection: "close", "x-a": "1" });
 * forwardRequestHeaders({
 *   client: readClientHeaders(headers, "drop"), modifiers: [], xffTrustedHops: 0,
 *   host: "a.com", clientIp: "10.0.0.1", scheme: "http", forwardedHost: "a.com",
 * }); // ["host", "a.com", "x-a", "1", "x-forwarded-for", "10.0.0.1", ...]
 * ```
 */
export function forwardRequestHeaders(input: ForwardHeadersInput): string[] {
  const client = input.client;
  if (client.lines !== undefined) return forwardRequestFields(input).pairs();
  const listed = connectionListedHeaders(client.connection);
  const out: string[] = ["host", input.host];
  const pairs = client.pairs;
  const trustsClientAddress = input.xffTrustedHops > 0;
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i];
    if (HOP_BY_HOP_HEADERS.has(name) || (listed !== undefined && listed.has(name))) continue;
    // Other ways to claim a client address; only a trusted proxy may make them.
    if (!trustsClientAddress && (name === "forwarded" || name === "x-real-ip")) continue;
    out.push(name, pairs[i + 1]);
  }
  pushGatewayForwarded(out, input);
  for (const modifier of input.modifiers) modifyHeaderList(out, modifier);
  return out;
}

/**
 * Applies a header modifier to a flattened list of lower-case, unique names
 * (as `Headers` iterates them), with the semantics of `applyHeaderModifier`.
 * Index 0 (`host`) and names in {@linkcode NOT_MODIFIABLE} are left alone.
 */
function modifyHeaderList(list: string[], modifier: HeaderModifierConfig): void {
  const find = (name: string) => {
    for (let i = 2; i < list.length; i += 2) if (list[i] === name) return i;
    return -1;
  };
  for (const { name, value } of modifier.set) {
    const lower = name.toLowerCase();
    if (NOT_MODIFIABLE.has(lower)) continue;
    const at = find(lower);
    if (at === -1) list.push(lower, value);
    else list[at + 1] = value;
  }
  for (const { name, value } of modifier.add) {
    const lower = name.toLowerCase();
    if (NOT_MODIFIABLE.has(lower)) continue;
    const at = find(lower);
    // A bare comma, as `applyHeaderModifier` does (the spec's examples use it).
    if (at === -1) list.push(lower, value);
    else list[at + 1] = `${list[at + 1]},${value}`;
  }
  for (const name of modifier.remove) {
    const lower = name.toLowerCase();
    if (NOT_MODIFIABLE.has(lower)) continue;
    const at = find(lower);
    if (at !== -1) list.splice(at, 2);
  }
}

/**
 * Adds the response headers for the client to `target` (the headers of a
 * `Response` made without a `headers` init), with response header modifiers
 * applied. A streamed body of known length keeps its `Content-Length`.
 * Appending to an existing `Headers` is measured here at a fraction of the
 * cost of passing the list as `ResponseInit.headers` (~2 us against ~6–9 us
 * for three headers), whose conversion dominates a small proxied response.
 * Throws `TypeError` for a name or value a `Headers` cannot hold.
 */
export function appendClientResponseHeaders(
  target: Headers,
  headers: [string, string][],
  modifiers: readonly HeaderModifierConfig[],
  contentLength: number | null,
): void {
  for (let i = 0; i < headers.length; i++) target.append(headers[i][0], headers[i][1]);
  if (contentLength !== null) target.append("content-length", String(contentLength));
  for (const modifier of modifiers) applyHeaderModifier(target, modifier);
}
