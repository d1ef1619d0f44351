/**
 * One HTTP/2 stream as the handler sees it: a `Request` whose body streams
 * the client's DATA frames as they arrive, and the handler's `Response`
 * written back as HEADERS, DATA and, when the response carries trailers
 * (`response_trailers.ts`, a gRPC backend's status), a final HEADERS frame
 * with END_STREAM. A response without body or trailers is one HEADERS frame
 * ending the stream: gRPC's "Trailers-Only" answer.
 *
 * Flow control on the request side reopens the client's window only as the
 * handler reads (`H2StreamHost.credit`), so a stream never holds more than
 * its window of unread bytes, however fast the client sends.
 * @module
 */
import { RequestCompletion } from "../request_completion.ts";
import { trailersOf } from "../response_trailers.ts";
import { ErrorCode } from "./h2_frames.ts";
import { responseFields, trailerFields } from "./h2_headers.ts";

/** What a stream needs from its connection. */
export interface H2StreamHost {
  /** Encodes and writes a header block (HEADERS and CONTINUATIONs). */
  sendHeaders(stream: H2Stream, fields: [string, string][], endStream: boolean): void;
  /** Writes `chunk` as DATA within the windows; `false` when the stream or connection is gone. */
  sendData(stream: H2Stream, chunk: Uint8Array, endStream: boolean): Promise<boolean>;
  /**
   * Writes all of `chunk` as one DATA frame now when the windows, the frame
   * size and the output bound allow it; `false`, with nothing written, when
   * they do not (or the stream is gone): then {@linkcode sendData}.
   */
  sendDataNow(stream: H2Stream, chunk: Uint8Array, endStream: boolean): boolean;
  /** Resets the stream (RST_STREAM) and forgets it. */
  resetStream(stream: H2Stream, code: number): void;
  /** The handler read `n` body bytes: their window may reopen. */
  credit(stream: H2Stream, n: number): void;
}

/** An error the request body fails with when the stream ends abnormally. */
export class StreamResetError extends Error {
  constructor(message: string, readonly code: number) {
    super(message);
    this.name = "StreamResetError";
  }
}

/** One client-initiated stream. */
export class H2Stream {
  /** What we may still send (the client's window for this stream). */
  sendWindow: number;
  /** What the client may still send before we credit more. */
  recvWindow: number;
  /** Bytes read by the handler and not yet credited. */
  unacked = 0;
  /** END_STREAM received. */
  remoteClosed = false;
  /** END_STREAM or RST_STREAM sent, or the stream was reset by the client. */
  localClosed = false;
  /** The response's final frame went out (or the stream was reset). */
  responseEnded = false;
  /** Body bytes received, for the `content-length` check. */
  received = 0;
  /** Made when first asked for (`abort`): the fast path's streams never are. */
  #abort: AbortController | undefined;
  /** Why the stream failed, once it did (the abort's reason, however late `abort` is made). */
  #abortReason: { error: unknown } | undefined;
  /**
   * The handler's `info` for the stream's request: the client's address,
   * `completed` (made only when read; the connection's watcher is called
   * back without it), and trailers that always reach the client. It is also
   * the request's `ClientLeaving`, told when the stream ends abnormally (the
   * client reset it, the connection dropped): the fast path's backend call
   * listens to it, as the `Request` path's does to `abort`.
   */
  readonly info: RequestCompletion;
  #queue: Uint8Array[] = [];
  #wake: (() => void) | undefined;
  #failure: unknown;
  /** The handler cancelled the body, or the request has none: DATA is dropped. */
  #discarding: boolean;

  constructor(
    readonly id: number,
    readonly host: H2StreamHost,
    sendWindow: number,
    recvWindow: number,
    readonly contentLength: number | undefined,
    hasBody: boolean,
    remoteAddr: Deno.NetAddr,
  ) {
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
    this.#discarding = !hasBody;
    // HTTP/2 trailers need no `TE`: every client gets the response's (`response_trailers.ts`).
    this.info = new RequestCompletion(remoteAddr, true);
  }

  /**
   * Aborted when the stream fails (the `Request` path's signal, a pumped
   * body's end). Made on first use: an `AbortController` and its signal
   * cost about as much as the rest of a stream, and a fast-path GET never
   * reads them.
   */
  get abort(): AbortController {
    if (this.#abort === undefined) {
      this.#abort = new AbortController();
      if (this.#abortReason !== undefined) this.#abort.abort(this.#abortReason.error);
    }
    return this.#abort;
  }

  /** The request body: pulls hand over one DATA payload each and credit its window. */
  body(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        while (true) {
          if (this.#failure !== undefined) return controller.error(this.#failure);
          const chunk = this.#queue.shift();
          if (chunk !== undefined) {
            controller.enqueue(chunk);
            this.host.credit(this, chunk.length);
            return;
          }
          if (this.remoteClosed) return controller.close();
          await new Promise<void>((resolve) => this.#wake = resolve);
        }
      },
      cancel: () => this.#discard(),
    }, { highWaterMark: 0 });
  }

  /**
   * A DATA payload arrived (its padding already credited by the connection),
   * as a view of the connection's read buffer: what is queued is copied.
   */
  receive(data: Uint8Array): void {
    this.received += data.length;
    if (this.#discarding) {
      if (data.length > 0) this.host.credit(this, data.length);
      return;
    }
    if (data.length > 0) this.#queue.push(data.slice());
    this.#signal();
  }

  /** END_STREAM arrived; `false` when the body length contradicts `content-length`. */
  endOfRequest(): boolean {
    this.remoteClosed = true;
    if (this.contentLength !== undefined && this.received !== this.contentLength) {
      // The caller resets the stream; the body fails with this reason, not the reset's.
      this.#failure ??= new StreamResetError(
        "The request body does not match its content-length",
        1,
      );
      this.#signal();
      return false;
    }
    this.#signal();
    return true;
  }

  /**
   * The stream ended abnormally, or its response ended before the request:
   * the body fails, the handler's signal aborts, and DATA from now on is
   * dropped. What was queued unread is credited back to the connection
   * (not to the stream, which is closed on our side).
   */
  fail(error: unknown): void {
    if (this.#failure === undefined && !(this.remoteClosed && this.#queue.length === 0)) {
      this.#failure = error;
    }
    this.localClosed = true;
    this.responseEnded = true;
    this.#discard();
    this.#signal();
    this.#abortReason ??= { error };
    if (this.#abort !== undefined && !this.#abort.signal.aborted) this.#abort.abort(error);
    this.info.leave();
  }

  /** The stream is gone from its connection. */
  finish(): void {
    this.info.complete();
  }

  #discard(): void {
    this.#discarding = true;
    const queued = this.#queue.reduce((n, c) => n + c.length, 0);
    this.#queue = [];
    if (queued > 0) this.host.credit(this, queued);
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/**
 * Writes `response` on `stream`. Never rejects: a reset stream cancels the
 * body, a body or trailers that fail reset the stream with INTERNAL_ERROR.
 */
export async function sendResponse(
  stream: H2Stream,
  response: Response,
  isHead: boolean,
): Promise<void> {
  const host = stream.host;
  const trailers = trailersOf(response);
  const body = isHead ? null : response.body;
  if (isHead) await response.body?.cancel().catch(() => {});
  if (stream.localClosed) {
    await body?.cancel().catch(() => {});
    return;
  }
  const endNow = body === null && trailers === undefined;
  host.sendHeaders(stream, responseFields(response), endNow);
  if (endNow) return;
  if (body !== null && !await pump(stream, body)) return;
  await endStream(stream, trailers);
}

/**
 * Ends `stream` once its body was sent: with the `trailers` a trailer block
 * may carry as a last HEADERS, or with an empty DATA when there are none.
 * Trailers that fail reset the stream with INTERNAL_ERROR.
 */
export async function endStream(
  stream: H2Stream,
  trailers: Promise<[string, string][]> | undefined,
): Promise<void> {
  const host = stream.host;
  let last: [string, string][] = [];
  if (trailers !== undefined) {
    try {
      last = trailerFields(await trailers);
    } catch {
      if (!stream.localClosed) host.resetStream(stream, ErrorCode.INTERNAL_ERROR);
      return;
    }
  }
  if (stream.localClosed) return;
  if (last.length > 0) host.sendHeaders(stream, last, true);
  else await host.sendData(stream, new Uint8Array(0), true);
}

/**
 * Writes `body` on `stream` as DATA without ending it; `false` when the
 * stream went away or the body failed (the stream is reset then).
 */
export async function pump(
  stream: H2Stream,
  body: ReadableStream<Uint8Array>,
): Promise<boolean> {
  const reader = body.getReader();
  const gone = new Promise<undefined>((resolve) => {
    stream.abort.signal.addEventListener("abort", () => resolve(undefined), { once: true });
  });
  try {
    while (true) {
      const next = stream.localClosed ? undefined : await Promise.race([reader.read(), gone]);
      if (next === undefined) {
        await reader.cancel().catch(() => {});
        return false;
      }
      if (next.done) return true;
      if (next.value.length === 0) continue;
      if (!await stream.host.sendData(stream, next.value, false)) {
        await reader.cancel().catch(() => {});
        return false;
      }
    }
  } catch {
    // The backend failed mid-body: the client sees the stream reset.
    if (!stream.localClosed) stream.host.resetStream(stream, ErrorCode.INTERNAL_ERROR);
    return false;
  } finally {
    reader.releaseLock();
  }
}
