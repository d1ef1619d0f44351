/**
 * Writes a `Response` to a `node:http2` server stream: HEADERS, DATA with
 * backpressure, then the trailers recorded for the response, if any. A
 * response without body or trailers is one HEADERS frame ending the stream,
 * which is how a gRPC "Trailers-Only" answer must look.
 * @module
 */
import http2 from "node:http2";
import type { Trailers } from "./response_trailers.ts";

/** Connection-specific headers HTTP/2 forbids (RFC 9113 §8.2.2). */
const FORBIDDEN = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
]);

function outgoing(response: Response): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = { ":status": response.status };
  for (const [name, value] of response.headers) {
    if (FORBIDDEN.has(name)) continue;
    const prior = out[name];
    out[name] = prior === undefined ? value : [...[prior].flat().map(String), value];
  }
  if (response.headers.has("set-cookie")) out["set-cookie"] = response.headers.getSetCookie();
  return out;
}

function trailerObject(trailers: Trailers): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = {};
  for (const [name, value] of trailers) {
    if (name.startsWith(":") || FORBIDDEN.has(name)) continue;
    const prior = out[name];
    out[name] = prior === undefined ? value : [...[prior].flat().map(String), value];
  }
  return out;
}

/** Resolves once the stream is closed, whichever way. */
function closedOf(stream: http2.ServerHttp2Stream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.closed) resolve();
    else stream.once("close", () => resolve());
  });
}

/**
 * Sends `response` on `stream`, then `trailers` when given. Never rejects:
 * a client that resets the stream cancels the response body.
 */
export async function respondToStream(
  stream: http2.ServerHttp2Stream,
  response: Response,
  trailers: Promise<Trailers> | undefined,
): Promise<void> {
  const closed = closedOf(stream);
  if (stream.closed || stream.destroyed) {
    await response.body?.cancel().catch(() => {});
    return;
  }
  const body = response.body;
  if (body === null && trailers === undefined) {
    try {
      stream.respond(outgoing(response), { endStream: true });
    } catch {
      // Headers HTTP/2 cannot carry: the stream is reset instead.
      stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    }
    await closed;
    return;
  }
  try {
    stream.respond(outgoing(response), { waitForTrailers: trailers !== undefined });
  } catch {
    stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    await body?.cancel().catch(() => {});
    return;
  }
  if (trailers !== undefined) {
    stream.once("wantTrailers", () => {
      trailers.then((list) => {
        if (stream.closed || stream.destroyed) return;
        const t = trailerObject(list);
        try {
          if (Object.keys(t).length > 0) stream.sendTrailers(t);
          else stream.close();
        } catch {
          // Invalid trailers from the backend: end the stream without them.
          stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
        }
      }, () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    });
  }
  if (body !== null) await pipeBody(body, stream);
  stream.end();
  await closed;
}

async function pipeBody(body: ReadableStream<Uint8Array>, stream: http2.ServerHttp2Stream) {
  const reader = body.getReader();
  const gone = closedOf(stream).then(() => undefined);
  try {
    while (!stream.closed && !stream.destroyed) {
      const next = await Promise.race([reader.read(), gone]);
      if (next === undefined || next.done) break;
      if (!stream.write(next.value)) {
        await Promise.race([new Promise((r) => stream.once("drain", r)), gone]);
      }
    }
  } catch {
    // The backend failed mid-body: the client sees the stream end early.
    stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
  } finally {
    if (stream.closed || stream.destroyed) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
