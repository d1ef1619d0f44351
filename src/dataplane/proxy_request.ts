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
import { type ClientGone, clientOf } from "./client_gone.ts";
import type { ForwardHeadersInput } from "./client_headers.ts";
import type { IncomingRequest } from "./field_headers.ts";
import { forwardRequestHeaders } from "./forward_headers.ts";
import { forwardRequestFields } from "./head_forwarding.ts";
import type { ForwardedFields } from "./forwarded_fields.ts";
import type { AddressContext, RequestAddress } from "./request_address.ts";
import { deliversTrailers } from "./response_trailers.ts";
import type { BackendModifiers, RulePlan } from "./rule_plan.ts";
import { rewrittenTarget, type Upstream } from "./upstream_choice.ts";
import type { UpstreamRequest } from "./upstream_types.ts";

/** A request whose header fields are written from the client's bytes: `headers` made when read. */
class FieldsRequest implements UpstreamRequest {
  #pairs: string[] | undefined;
  constructor(
    readonly method: string,
    readonly target: string,
    readonly fields: ForwardedFields,
    public body: ReadableStream<Uint8Array> | null,
    readonly contentLength: number | null,
    readonly acceptsTrailers: boolean,
    readonly client: ClientGone | undefined,
    readonly takesBodyAtOnce: boolean,
    readonly startedAt: number | undefined,
  ) {}

  get headers(): string[] {
    return this.#pairs ??= this.fields.pairs();
  }
}

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
  return forwardRequestHeaders(forwardInput(port, at, plan, info, request));
}

/** What the backend's headers are made of, whichever way they are written. */
function forwardInput(
  port: AddressContext,
  at: RequestAddress,
  plan: RulePlan,
  info: Deno.ServeHandlerInfo,
  request: BackendModifiers["request"],
): ForwardHeadersInput {
  return {
    client: at.client,
    modifiers: request,
    xffTrustedHops: port.policy.xffTrustedHops,
    host: plan.rewriteHost ?? at.authority,
    clientIp: (info.remoteAddr as Deno.NetAddr).hostname ?? "",
    scheme: port.scheme,
    forwardedHost: at.authority,
  };
}

/**
 * The backend's headers for the fast path's pending answer: for a request
 * sent once (no mirror, no retry) whose head was read from the client's
 * bytes (`ClientHeaders.lines`), fields written from those bytes
 * (`forwarded_fields.ts`), else {@linkcode backendHeaders}. The bytes are
 * the client's only during the handler's call: the caller calls `own()` on
 * the request's `fields` before that call returns.
 */
export function pendingHeaders(
  port: AddressContext,
  at: RequestAddress,
  plan: RulePlan,
  info: Deno.ServeHandlerInfo,
  request: BackendModifiers["request"],
): string[] | ForwardedFields {
  if (at.client.lines === undefined || plan.mirrors.length > 0 || plan.retry !== undefined) {
    return backendHeaders(port, at, plan, info, request);
  }
  return forwardRequestFields(forwardInput(port, at, plan, info, request));
}

/**
 * What goes to the backend: the rule's target, the `headers` made (as
 * strings, or as fields written from the client's bytes: then `headers`
 * reads them as strings only when asked), the client's `body`;
 * `startedAt`, the handler's `batchNow()` of this request when
 * nothing was awaited since.
 */
export function upstreamRequest(
  req: IncomingRequest,
  info: Deno.ServeHandlerInfo,
  matched: RouteMatch,
  plan: RulePlan,
  at: RequestAddress,
  body: ReadableStream<Uint8Array> | null,
  headers: string[] | ForwardedFields,
  startedAt?: number,
): UpstreamRequest {
  // A mirror's copy or a retried call goes elsewhere, or later, than this one call.
  const once = plan.mirrors.length === 0 && plan.retry === undefined;
  const declared = at.client.contentLength;
  const contentLength = declared === null ? null : Number(declared);
  const target = rewrittenTarget(matched, plan, at);
  if (!Array.isArray(headers)) {
    return new FieldsRequest(
      req.method,
      target,
      headers,
      body,
      Number.isSafeInteger(contentLength) ? contentLength : null,
      deliversTrailers(info),
      clientOf(req),
      req.takesBodyAtOnce === true && once,
      once ? startedAt : undefined,
    );
  }
  return {
    method: req.method,
    target,
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
  upstreamHeaders: string[] | ForwardedFields,
): () => string[] {
  if (plan.mirrors.length === 0) return NO_MIRROR_HEADERS;
  const backend = upstream.backend;
  if (backend.filters.length === 0) {
    const headers = Array.isArray(upstreamHeaders) ? upstreamHeaders : upstreamHeaders.pairs();
    return () => headers;
  }
  const request = plan.modifiersFor({ ...backend, filters: [] }).request;
  if (at.client.lines !== undefined) {
    // Made now: the client's bytes are not readable after the handler's call.
    const headers = backendHeaders(port, at, plan, info, request);
    return () => headers;
  }
  return () => backendHeaders(port, at, plan, info, request);
}
