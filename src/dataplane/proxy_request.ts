/**
 * What a proxied request sends its backend, made the same way on the
 * handler's `async` path and on the fast path's pending answer: the
 * backend's headers (forwarded fields and the rule's and backend's header
 * changes), the request itself, and the headers of the rule's mirrored
 * copies.
 *
 * @example
 * ```ts
 * import { backendHeaders, upstreamRequest } from "./proxy_request.ts";
 * import type { AddressContext, RequestAddress } from "./request_address.ts";
 * import type { IncomingRequest } from "./field_headers.ts";
 * import type { RouteMatch } from "../router/router.ts";
 * import type { RulePlan } from "./rule_plan.ts";
 * declare const port: AddressContext, at: RequestAddress, plan: RulePlan, matched: RouteMatch;
 * declare const req: IncomingRequest, info: Deno.ServeHandlerInfo;
 * const headers = backendHeaders(port, at, plan, info, []);
 * const request = upstreamRequest(req, info, matched, plan, at, null, headers);
 * ```
 * @module
 */
import type { RouteMatch } from "../router/router.ts";
import { clientOf } from "./client_gone.ts";
import type { IncomingRequest } from "./field_headers.ts";
import { forwardRequestHeaders } from "./forward_headers.ts";
import type { AddressContext, RequestAddress } from "./request_address.ts";
import { deliversTrailers } from "./response_trailers.ts";
import type { BackendModifiers, RulePlan } from "./rule_plan.ts";
import { rewrittenTarget, type Upstream } from "./upstream_choice.ts";
import type { UpstreamRequest } from "./upstream_types.ts";

/** The headers of mirrored copies of a rule without mirrors: never asked for. */
const NO_MIRROR_HEADERS = (): string[] => [];

/** The backend's request headers under `request` modifiers (the rule's, then a backend's). */
export function backendHeaders(
  port: AddressContext,
  at: RequestAddress,
  plan: RulePlan,
  info: Deno.ServeHandlerInfo,
  request: BackendModifiers["request"],
): string[] {
  return forwardRequestHeaders({
    client: at.client,
    modifiers: request,
    xffTrustedHops: port.policy.xffTrustedHops,
    host: plan.rewriteHost ?? at.authority,
    clientIp: (info.remoteAddr as Deno.NetAddr).hostname ?? "",
    scheme: port.scheme,
    forwardedHost: at.authority,
  });
}

/**
 * What goes to the backend: the rule's target, the `headers` made, the
 * client's `body`; `startedAt`, the handler's `performance.now()` of this
 * request when nothing was awaited since.
 */
export function upstreamRequest(
  req: IncomingRequest,
  info: Deno.ServeHandlerInfo,
  matched: RouteMatch,
  plan: RulePlan,
  at: RequestAddress,
  body: ReadableStream<Uint8Array> | null,
  headers: string[],
  startedAt?: number,
): UpstreamRequest {
  // A mirror's copy or a retried call goes elsewhere, or later, than this one call.
  const once = plan.mirrors.length === 0 && plan.retry === undefined;
  const declared = at.client.contentLength;
  const contentLength = declared === null ? null : Number(declared);
  return {
    method: req.method,
    target: rewrittenTarget(matched, plan, at),
    headers,
    body,
    contentLength: Number.isSafeInteger(contentLength) ? contentLength : null,
    // The server's word, alike on both paths: the client's own `TE` never passes on.
    acceptsTrailers: deliversTrailers(info),
    client: clientOf(req),
    takesBodyAtOnce: req.takesBodyAtOnce === true && once,
    startedAt: once ? startedAt : undefined,
  };
}

/**
 * The headers of the rule's mirrored copies: its header changes, not the
 * chosen backend's own. A closure only for a rule that mirrors.
 */
export function mirrorHeaders(
  port: AddressContext,
  plan: RulePlan,
  upstream: Upstream,
  at: RequestAddress,
  info: Deno.ServeHandlerInfo,
  upstreamHeaders: string[],
): () => string[] {
  if (plan.mirrors.length === 0) return NO_MIRROR_HEADERS;
  const backend = upstream.backend;
  if (backend.filters.length === 0) return () => upstreamHeaders;
  const request = plan.modifiersFor({ ...backend, filters: [] }).request;
  return () => backendHeaders(port, at, plan, info, request);
}
