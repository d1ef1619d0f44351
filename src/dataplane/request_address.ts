/**
 * Where a request is going: the host and the normalised path the router
 * matches, and the target the backend gets, read from the URL and the
 * client's headers under the request policy. A request that cannot be
 * addressed gets its answer instead: a 400 (a GET or HEAD with a body
 * among them), or a 307 to the normalised path.
 * @module
 */
import { hostFromAuthority } from "../router/host.ts";
import type { AccessFields } from "./access_log.ts";
import type { ClientEventReasons, DataPlaneObserver } from "./observer.ts";
import { textResponse } from "./client_response.ts";
import { type ClientHeaders, readClientHeaders } from "./forward_headers.ts";
import { decidePath } from "./path_policy.ts";
import type { RequestPolicy } from "./request_policy.ts";
import type { IncomingRequest } from "./field_headers.ts";
import { splitRequestUrl } from "./request_target.ts";

/** A request's destination, as the router and the backend see it. */
export interface RequestAddress {
  /** The client's headers, read once. */
  readonly client: ClientHeaders;
  /** The host the router matches. */
  readonly host: string;
  /** The normalised path the router matches. */
  readonly path: string;
  /** Under `escapedSlashes: keep`, the path with escaped slashes decoded. */
  readonly decodedPath: string | undefined;
  /** The query string without `?` (empty when there is none). */
  readonly query: string;
  /** The request-target for the backend: the routed path, the query as sent. */
  readonly target: string;
  /** The `Host` header, or the URL's authority when there is none (HTTP/2). */
  readonly authority: string;
}

/** The listener facts that addressing depends on. */
export interface AddressContext {
  readonly policy: RequestPolicy;
  readonly scheme: "http" | "https";
  readonly port: number;
  /** Hears each 400 of the request policy, by reason. */
  readonly observer?: DataPlaneObserver;
}

/** A 400 of the request policy, counted by reason. */
function refuse(
  ctx: AddressContext,
  reason: ClientEventReasons["policy_rejected"],
  message: string,
): Response {
  ctx.observer?.onClientEvent("policy_rejected", reason);
  return textResponse(400, `Bad request: ${message}`);
}

/**
 * Routing hosts of recent authorities. Clients send the same few `Host`
 * values over and over, and parsing one (lower-casing, port, label checks)
 * was a visible share of a proxied request; a hostile client sending a new
 * value each time only empties the memo, which never holds more than
 * {@linkcode HOST_MEMO_SIZE} entries.
 */
const hostMemo = new Map<string, string | null>();
const HOST_MEMO_SIZE = 1024;

/** The last authority looked up and its host: most requests repeat it, and a compare costs less than a map's hash. */
let lastAuthority: string | undefined;
let lastHost: string | null = null;

function routingHost(authority: string): string | null {
  if (authority === lastAuthority) return lastHost;
  let host = hostMemo.get(authority);
  if (host === undefined) {
    host = hostFromAuthority(authority);
    if (hostMemo.size >= HOST_MEMO_SIZE) hostMemo.clear();
    hostMemo.set(authority, host);
  }
  lastAuthority = authority;
  lastHost = host;
  return host;
}

/** The client framed a body: a non-zero `Content-Length`, or any `Transfer-Encoding`. */
function declaresBody(client: ClientHeaders): boolean {
  return client.transferEncoding ||
    (client.contentLength !== null && Number(client.contentLength) !== 0);
}

/**
 * Addresses `req`, or answers it. With `log`, the authority and the path
 * without its query (which may carry tokens) are written there for the
 * access log, before any refusal.
 *
 * @example
 * ```ts
 * import { addressRequest } from "./request_address.ts";
 * import { DEFAULT_REQUEST_POLICY } from "./request_policy.ts";
 * const req = new Request("http://a.example/x?y=1", { headers: { host: "a.example" } });
 * const at = addressRequest(req, { policy: DEFAULT_REQUEST_POLICY, scheme: "http", port: 80 });
 * ```
 */
export function addressRequest(
  req: IncomingRequest,
  ctx: AddressContext,
  log?: AccessFields,
): RequestAddress | Response {
  const { policy, scheme, port } = ctx;
  const client = readClientHeaders(req.headers, policy.underscoreHeaders);
  if (client.underscore && policy.underscoreHeaders === "reject") {
    return refuse(ctx, "underscore_header", "header names with underscores are refused");
  }
  if ((req.method === "GET" || req.method === "HEAD") && declaresBody(client)) {
    // Deno's HTTP engine reads the body of a GET or HEAD and drops it (the
    // Request has none), so forwarding the request would send the backend
    // another request than the client's. RFC 9110 §9.3.1 allows refusing it.
    return refuse(ctx, "get_with_body", `a ${req.method} request with a body cannot be forwarded`);
  }
  const hostHeader = client.host;
  // The fast path hands over the target it built the URL from: the same split, already made.
  const { authority, target } = req.target !== undefined && hostHeader !== null
    ? { authority: hostHeader, target: req.target }
    : splitRequestUrl(req.url, hostHeader);
  const q = target.indexOf("?");
  const rawPath = q === -1 ? target : target.slice(0, q);
  if (log !== undefined) {
    log.authority = hostHeader || authority;
    log.path = rawPath;
    // The log's bytes in, from the header already read (a second look costs a `Headers` search).
    const length = client.contentLength === null ? null : Number(client.contentLength);
    log.bytesIn = length === null
      ? (req.body === null ? 0 : null)
      : Number.isSafeInteger(length)
      ? length
      : null;
  }
  if (hostHeader === null && scheme === "http" && authority === `localhost:${port}`) {
    // What the HTTP/1 engine puts in the URL when the request had no Host
    // (RFC 9112 §3.2: answer 400). HTTP/2 carries `:authority` instead.
    return refuse(ctx, "missing_host", "the Host header is required");
  }
  const host = routingHost(hostHeader || authority);
  if (host === null) return refuse(ctx, "invalid_host", "invalid Host header");
  const decision = decidePath(rawPath, policy.escapedSlashes);
  if (decision.action === "reject") {
    const escaped = decision.reason.includes("escaped slash");
    return refuse(ctx, escaped ? "escaped_slash" : "invalid_path", decision.reason);
  }
  if (decision.action === "redirect") {
    const location = q === -1 ? decision.path : decision.path + target.slice(q);
    return new Response(null, { status: 307, headers: { location } });
  }
  return {
    client,
    host,
    path: decision.path,
    decodedPath: decision.decoded,
    query: q === -1 ? "" : target.slice(q + 1),
    target: q === -1 ? decision.forward : decision.forward + target.slice(q),
    authority: hostHeader || authority,
  };
}
