/**
 * The response a client gets for an upstream answer or a redirect: status,
 * the headers to pass on (after the rule's response header modifiers), the
 * CORS headers of an allowed origin, and the body as it came; and the short
 * text answers the gateway gives itself (4xx, 5xx).
 *
 * @example
 * ```ts
 * import { respond } from "./client_response.ts";
 * const res = respond(302, [["location", "/next"]], null, []);
 * console.log(res.headers.get("location")); // "/next"
 * ```
 * @module
 */
import type { HeaderModifierConfig } from "../model/config.ts";
import { applyCorsHeaders } from "./cors.ts";
import { appendClientResponseHeaders } from "./forward_headers.ts";
import { UpstreamError, type UpstreamResponse } from "./upstream_types.ts";
import { withKnownBody } from "./h1/known_body.ts";
import { attachTrailers } from "./response_trailers.ts";
import type { FastAnswer } from "./field_headers.ts";

/**
 * Builds the client's response. An answer a `Response` cannot hold (a status
 * of 600) is an {@linkcode UpstreamError} of kind `protocol`, its body cancelled.
 */
export function respond(
  status: number,
  headers: [string, string][],
  body: BodyInit | null,
  modifiers: readonly HeaderModifierConfig[],
  contentLength: number | null = null,
  cors: readonly [string, string][] = [],
): Response {
  try {
    const res = new Response(body, { status });
    appendClientResponseHeaders(res.headers, headers, modifiers, contentLength);
    applyCorsHeaders(res.headers, cors);
    return body instanceof Uint8Array ? withKnownBody(res, body) : res;
  } catch (error) {
    // The upstream answered something a Response cannot hold (e.g. status 600).
    if (body instanceof ReadableStream) body.cancel().catch(() => {});
    throw new UpstreamError(
      "protocol",
      `Cannot forward upstream response: ${(error as Error).message}`,
    );
  }
}

/**
 * Whether the fast path may write the backend's response as it came, with
 * the same bytes `respond` would give: no header of it is the rule's to
 * change, no trailers ride beside it, and a `Response` could hold its status.
 */
export function passesAsIs(
  res: UpstreamResponse,
  modifiers: readonly HeaderModifierConfig[],
  cors: readonly [string, string][],
): boolean {
  return modifiers.length === 0 && cors.length === 0 && res.trailers === undefined &&
    res.status >= 200 && res.status <= 599;
}

/**
 * The client's answer to a backend's response: the response as it came
 * when the fast path (`raw`) may pass it ({@linkcode passesAsIs}), else the
 * `Response` {@linkcode respond} makes of it, its trailers attached.
 */
export function clientAnswer(
  res: UpstreamResponse,
  raw: boolean,
  modifiers: readonly HeaderModifierConfig[],
  cors: readonly [string, string][],
): FastAnswer {
  if (raw && passesAsIs(res, modifiers, cors)) return res;
  const body = res.body as BodyInit | null;
  const response = respond(res.status, res.headers, body, modifiers, res.contentLength, cors);
  return attachTrailers(response, res.trailers);
}

const encoder = new TextEncoder();

/** `content-type` of the gateway's own short text answers. */
export const TEXT_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "text/plain; charset=utf-8",
});

/** The gateway's own answer: `status` and one line of text. */
export function textResponse(status: number, body: string): Response {
  const bytes = encoder.encode(body + "\n");
  return withKnownBody(new Response(bytes, { status, headers: TEXT_HEADERS }), bytes);
}
