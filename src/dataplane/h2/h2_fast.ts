/**
 * The port's fast path (`FieldsHandler`, `field_headers.ts`) for an HTTP/2
 * stream: a GET or HEAD whose HEADERS ended the stream is handed to it as
 * its parsed fields, without a `Request`, and a backend's response it
 * answers with (`UpstreamResponse`) is written as HEADERS and DATA without a
 * `Response` or a stream to pump when its body is already in memory. A
 * request the fast path declines takes the `Request` path
 * (`h2_header_block.ts`), the same as without one.
 * @module
 */
import { type FastAnswer, FieldHeaders, PendingAnswer } from "../field_headers.ts";
import type { UpstreamResponse } from "../upstream_types.ts";
import type { H2ConnectionCore as H2Connection } from "./h2_core.ts";
import { ErrorCode } from "./h2_frames.ts";
import { type RequestHead, upstreamFields } from "./h2_headers.ts";
import { endStream, type H2Stream, pump, sendResponse } from "./h2_stream.ts";
import { ReadableStreamClass, ResponseClass } from "../web_classes.ts";

/**
 * The fast path's answer to the stream's request, or `undefined` when it
 * declines (nothing was sent then). Never throws: a failing fast path is
 * answered by the port's `onError`.
 */
export function fastAnswer(
  conn: H2Connection,
  stream: H2Stream,
  head: RequestHead,
  url: string,
): FastAnswer | PendingAnswer | Promise<FastAnswer> | undefined {
  const fields = conn.options.fields!;
  try {
    return fields(
      {
        method: head.method,
        url,
        target: head.path,
        headers: new FieldHeaders(head.fields),
        body: null,
        client: stream.info,
      },
      stream.info,
    );
  } catch (error) {
    return recover(conn, error);
  }
}

/** The authority each connection's last request had, and whether its URL parsed. */
const lastAuthority = new WeakMap<H2Connection, { authority: string | undefined; ok: boolean }>();

/**
 * Whether `url` (the stream's, as a `Request` would be made from it) parses:
 * a URL that does not is a malformed request on either path, so the fast
 * path never sees one. A client sends the same authority on every stream,
 * so its answer is kept per connection and the path alone is checked
 * again, cheaply: it starts with `/` and any byte may follow.
 */
export function parsesAsUrl(conn: H2Connection, head: RequestHead, url: string): boolean {
  const last = lastAuthority.get(conn);
  if (last !== undefined && last.authority === head.authority) return last.ok;
  const ok = URL.canParse(url);
  lastAuthority.set(conn, { authority: head.authority, ok });
  return ok;
}

/** Writes the fast path's answer on `stream`, awaiting it first if it is still to come. */
export async function sendFastAnswer(
  conn: H2Connection,
  stream: H2Stream,
  answer: FastAnswer | PendingAnswer | Promise<FastAnswer>,
  isHead: boolean,
): Promise<void> {
  let settled: FastAnswer;
  if (answer instanceof PendingAnswer) {
    try {
      settled = answer.done(await answer.upstream);
    } catch (error) {
      settled = answer.failed(error);
    }
  } else if (answer instanceof Promise) {
    try {
      settled = await answer;
    } catch (error) {
      settled = await recover(conn, error);
    }
  } else settled = answer;
  try {
    if (settled instanceof ResponseClass) await sendResponse(stream, settled, isHead);
    else {
      const rest = sendUpstream(stream, settled, isHead);
      if (rest !== undefined) await rest;
    }
  } catch (error) {
    conn.options.logger?.error("HTTP/2 response failed", { error });
    conn.resetStream(stream, ErrorCode.INTERNAL_ERROR);
  }
  // The stream is gone now, or half-closed (local) until the client ends it.
  if (!stream.localClosed) conn.resetStream(stream, ErrorCode.INTERNAL_ERROR);
}

/**
 * A backend's response as it came: its fields, its body (bytes or a
 * stream), its trailers. A body in memory that the windows take at once
 * (the common small answer) is written in this turn, and nothing is left
 * to await: `undefined`. Otherwise the promise of the rest.
 */
function sendUpstream(
  stream: H2Stream,
  res: UpstreamResponse,
  isHead: boolean,
  cancelled = false,
): Promise<void> | undefined {
  const body = res.body;
  if (body instanceof ReadableStreamClass && (isHead || stream.localClosed) && !cancelled) {
    return body.cancel().catch(() => {}).then(() => sendUpstream(stream, res, isHead, true));
  }
  if (stream.localClosed) return;
  const host = stream.host;
  const length = body instanceof Uint8Array ? body.length : res.contentLength;
  const fields = upstreamFields(res.status, res.headers, length);
  const trailers = isHead ? undefined : res.trailers;
  const empty = isHead || body === null || (body instanceof Uint8Array && body.length === 0);
  if (empty && trailers === undefined) {
    host.sendHeaders(stream, fields, true);
    return;
  }
  host.sendHeaders(stream, fields, false);
  if (body instanceof Uint8Array && !empty && trailers === undefined) {
    if (host.sendDataNow(stream, body, true)) return;
  }
  return sendBody(stream, empty ? null : body, trailers);
}

/** The rest of {@linkcode sendUpstream}: the body within the windows, then the trailers or the end. */
async function sendBody(
  stream: H2Stream,
  body: Uint8Array | ReadableStream<Uint8Array> | null,
  trailers: Promise<[string, string][]> | undefined,
): Promise<void> {
  if (body instanceof Uint8Array) {
    if (!await stream.host.sendData(stream, body, trailers === undefined)) return;
    if (trailers === undefined) return;
  } else if (body !== null && !await pump(stream, body)) return;
  await endStream(stream, trailers);
}

/** `onError`'s answer to `error`, or a plain 500 when it fails too. */
async function recover(conn: H2Connection, error: unknown): Promise<Response> {
  try {
    return await conn.options.onError(error);
  } catch {
    return new Response("Internal error\n", { status: 500 });
  }
}
