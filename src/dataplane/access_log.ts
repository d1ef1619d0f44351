/**
 * Access logs (`--access-log on`): one structured line per request through
 * the gateway's logger (message `request`, level info), and a request id
 * that follows the request upstream. A client's own `X-Request-Id` is kept
 * and logged; a request without one gets a random UUID, sent upstream as
 * `x-request-id`, so the backend's logs and the gateway's can be joined.
 *
 * The line is written when the response head is ready, unless the body's
 * length is unknown then (a streamed body without `Content-Length`): such a
 * body is counted as it goes and the line is written at its end, so
 * `bytesOut` is always the real count.
 *
 * @example
 * ```ts
 * import { requestIdOf } from "./access_log.ts";
 * requestIdOf(new Headers({ "x-request-id": "abc" })); // { id: "abc", generated: false }
 * ```
 * @module
 */
import type { Logger } from "../log/logger.ts";
import type { HeaderLookup } from "../router/router.ts";
import type { UpstreamEndpoint, UpstreamResponse } from "./upstream_types.ts";
import { batchNow } from "./monotonic_clock.ts";

/** Longest client-sent request id kept; a longer one is replaced (it would bloat every line). */
export const MAX_REQUEST_ID_LENGTH = 200;

/** The request id of a request: the client's, or a new one. */
export function requestIdOf(headers: HeaderLookup): { id: string; generated: boolean } {
  const sent = headers.get("x-request-id");
  if (sent !== null && sent.length > 0 && sent.length <= MAX_REQUEST_ID_LENGTH) {
    return { id: sent, generated: false };
  }
  return { id: crypto.randomUUID(), generated: true };
}

/** What the handler learned about one request. */
export interface AccessFields {
  listener: string;
  route: string;
  method: string;
  authority?: string;
  path?: string;
  requestId?: string;
  /** `address:port` of the endpoint that answered. */
  upstream?: string;
  /** Milliseconds from sending upstream to the upstream response head. */
  upstreamMs?: number;
  /** Response body bytes, when the handler knows them (a body read whole). */
  bytesOut?: number;
  /** Request body bytes declared (`null`: sent without a length), when the request was addressed. */
  bytesIn?: number | null;
  /** {@linkcode batchNow} at the request's arrival. */
  started: number;
}

/**
 * Runs `send` (an upstream exchange, told `onTry` to hear each endpoint
 * tried) noting for the access line the endpoint that answered, the time to
 * the response head and the body bytes when known.
 */
export async function timedSend(
  out: AccessFields,
  send: (onTry: (endpoint: UpstreamEndpoint) => void) => Promise<UpstreamResponse>,
): Promise<UpstreamResponse> {
  const sent = batchNow();
  const res = await send((e) => out.upstream = `${e.address}:${e.port}`);
  out.upstreamMs = batchNow() - sent;
  out.bytesOut = res.body instanceof Uint8Array
    ? res.body.byteLength
    : res.contentLength ?? undefined;
  return res;
}

/**
 * Writes the access line of `res` (now, or at the end of a body of unknown
 * length) and returns the response to send, which is `res` itself unless
 * its body had to be counted.
 */
export function logAccess(
  logger: Logger,
  req: Request,
  fields: AccessFields,
  res: Response,
): Response {
  const base = {
    requestId: fields.requestId ?? req.headers.get("x-request-id") ?? undefined,
    listener: fields.listener,
    route: fields.route,
    method: fields.method,
    authority: fields.authority,
    path: fields.path,
    status: res.status,
    bytesIn: fields.bytesIn !== undefined ? fields.bytesIn : contentLengthOf(req),
    upstream: fields.upstream,
    upstreamMs: fields.upstreamMs === undefined ? undefined : round(fields.upstreamMs),
  };
  const write = (bytesOut: number) =>
    logger.info("request", {
      ...base,
      bytesOut,
      durationMs: round(batchNow() - fields.started),
    });
  // Reading `res.body` turns a byte body into a stream, which costs the
  // server its fast path, and counting a stream costs a transform: both
  // only when nothing else tells the length.
  const known = req.method === "HEAD" ? 0 : fields.bytesOut ?? declaredLength(res);
  if (known !== undefined) {
    write(known);
    return res;
  }
  if (res.body === null) {
    write(0);
    return res;
  }
  let bytes = 0;
  const counted = res.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.byteLength;
        controller.enqueue(chunk);
      },
      flush: () => write(bytes),
      cancel: () => write(bytes),
    }),
  );
  return new Response(counted, { status: res.status, headers: res.headers });
}

/** The response's `Content-Length`, read only when the handler did not count the body. */
function declaredLength(res: Response): number | undefined {
  const length = res.headers.get("content-length");
  return length === null ? undefined : Number(length);
}

/** The request body's declared length; `null` for a body sent without one (chunked). */
function contentLengthOf(req: Request): number | null {
  const value = req.headers.get("content-length");
  if (value === null) return req.body === null ? 0 : null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
