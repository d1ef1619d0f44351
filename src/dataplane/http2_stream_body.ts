/**
 * The DATA frames of a `node:http2` client stream (a backend's response)
 * as a `ReadableStream`, with flow control: the stream is paused while the
 * reader is behind and resumed on each pull. The stream's `error` fails it,
 * and so does its `close` when `endFailure` names a failure then.
 * @module
 */
import type http2 from "node:http2";
import type { Buffer } from "node:buffer";

/** What cancelling the body does, and when the stream's end is a failure. */
export interface Http2StreamBodyOptions {
  /** What cancelling the body does to the stream (drain it, or reset it). */
  onCancel(): void;
  /**
   * Checked when the stream ends: an error here fails the body instead of
   * ending it (a stream the peer reset mid-body ends like a complete one).
   */
  endFailure?(): unknown;
}

/**
 * The stream's body.
 *
 * @example
 * ```ts
 * import http2 from "node:http2";
 * import { http2StreamBody } from "./http2_stream_body.ts";
 * declare const stream: http2.ClientHttp2Stream;
 * const body = http2StreamBody(stream, {
 *   onCancel: () => stream.close(http2.constants.NGHTTP2_CANCEL),
 * });
 * ```
 */
export function http2StreamBody(
  stream: http2.Http2Stream,
  options: Http2StreamBodyOptions,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      // Nothing may throw out of these listeners: they run inside the
      // HTTP/2 session's own callbacks.
      stream.on("data", (chunk: Buffer) => {
        try {
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 1) <= 0) stream.pause();
        } catch {
          // The body was cancelled: the rest is dropped.
        }
      });
      stream.once("end", () => {
        try {
          const failure = options.endFailure?.();
          if (failure === undefined) controller.close();
          else controller.error(failure);
        } catch {
          // Already cancelled.
        }
      });
      // A reset stream fails its body when it closes, whether or not its
      // end was emitted first: a stream destroyed before its end is
      // emitted never emits it, and its body must not wait for ever.
      stream.once("close", () => {
        try {
          const failure = options.endFailure?.();
          if (failure !== undefined) controller.error(failure);
        } catch {
          // Already closed or failed.
        }
      });
      stream.on("error", (error: unknown) => {
        try {
          controller.error(error);
        } catch {
          // Already closed.
        }
      });
    },
    pull() {
      stream.resume();
    },
    cancel() {
      options.onCancel();
    },
  }, { highWaterMark: 4 });
}
