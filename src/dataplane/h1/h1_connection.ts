/**
 * The gateway's own HTTP/1.1 server for one accepted connection
 * (`--http1-engine own`): requests are read with one read per head in the
 * common case, handed to the port's handler in the `Request` shape
 * (`h1_request.ts`, the URL as spelled, as `Deno.serve` gives it), and
 * answered in order (pipelined requests wait in the buffer until the
 * answer before them is written). Anything RFC 9112 says
 * a server must refuse gets its 4xx and a closed connection
 * (`h1_request_head.ts`); heads are bounded in bytes and fields; a
 * connection carries at most `maxRequests` requests; a connection that
 * opens with the HTTP/2 preface goes to our HTTP/2 server (h2c with prior
 * knowledge). Client timeouts are the port's (`client_timeouts.ts`), seen
 * through the handler's calls as with Deno's engine.
 *
 * A client that goes away cancels its request (`h1_client_watch.ts`):
 * nothing is written, and requests pipelined behind it are not served.
 * @module
 */
import type { ConnectionHandler, ServedConnection } from "../serve_connection.ts";
import { PREFACE as H2_PREFACE } from "../h2/h2_frames.ts";
import { type BodyProgress, bodyStream, discardBody } from "./h1_body.ts";
import { H1Reader } from "./h1_reader.ts";
import { ClientWatch } from "./h1_client_watch.ts";
import { fieldsRequest, h1Request } from "./h1_request.ts";
import { H1RequestError, parseRequestHead, type RequestHead } from "./h1_request_head.ts";
import { requestUrl } from "./h1_url.ts";
import { AnswerWriter, writeAll } from "./h1_response.ts";
import { type FastAnswer, type FieldsHandler, PendingAnswer } from "../field_headers.ts";
import { RequestCompletion } from "../request_completion.ts";
import { type SocketWriteNow, socketWriteNow } from "../socket_write.ts";

/** Bounds on what one client may make the server hold or do. */
export interface H1Limits {
  /** Longest request head (request line and fields), and longest trailer section; past it, 431. */
  maxHeadBytes: number;
  /** Most header fields in a head; past it, 431. */
  maxHeaderFields: number;
  /** Requests on one connection; the last answer says `Connection: close`. */
  maxRequests: number;
}

/**
 * The defaults: 32 KiB heads (nginx's large buffers), 100 fields, 100,000
 * requests per connection. Not nginx's 1,000: a connection holds no more
 * memory after many requests than after one, and a client sending at a
 * fixed rate stalls behind its queued requests while it reconnects.
 */
export const DEFAULT_H1_LIMITS: Readonly<H1Limits> = Object.freeze({
  maxHeadBytes: 32 * 1024,
  maxHeaderFields: 100,
  maxRequests: 100_000,
});

/** Options of {@linkcode serveH1}. */
export interface ServeH1Options {
  handler: ConnectionHandler;
  /**
   * The fast path: serves a request from its parsed head, without a
   * `Request` or (for a backend's response passed as it came) a `Response`;
   * when absent or declining, `handler` serves it.
   */
  fields?: FieldsHandler;
  onError: (error: unknown) => Response | Promise<Response>;
  scheme: "http" | "https";
  limits?: Partial<H1Limits>;
  /** Serves a connection that opened with the HTTP/2 preface, given the bytes read; absent: refused. */
  h2?: (conn: Deno.Conn, first: Uint8Array) => ServedConnection;
}

/** Most bytes of an unread request body read and dropped to keep its connection (nginx: lingering). */
const MAX_DISCARD_BYTES = 64 * 1024;

/** The progress of every request without a body: read whole from the start (never written to). */
const NO_BODY: BodyProgress = Object.freeze({ done: true, error: undefined, started: false });

const encoder = new TextEncoder();
const CONTINUE = encoder.encode("HTTP/1.1 100 Continue\r\n\r\n");

/**
 * Serves `conn` until the client closes it, a request asks to close, or
 * `close`/`shutdown` is called.
 *
 * @example
 * ```ts
 * import { serveH1 } from "./h1_connection.ts";
 * declare const conn: Deno.Conn;
 * const served = serveH1(conn, {
 *   handler: () => new Response("ok"),
 *   onError: () => new Response("Internal error\n", { status: 500 }),
 *   scheme: "http",
 * });
 * await served.finished;
 * ```
 */
export function serveH1(conn: Deno.Conn, options: ServeH1Options): ServedConnection {
  return new H1Connection(conn, options);
}

class H1Connection implements ServedConnection {
  readonly finished: Promise<void>;
  readonly #conn: Deno.Conn;
  readonly #options: ServeH1Options;
  readonly #limits: H1Limits;
  readonly #reader: H1Reader;
  readonly #writer = new AnswerWriter();
  /**
   * The socket's write without `Conn.write`'s wrapper, its count at once
   * when the socket took the bytes at once (`socket_write.ts`): one per answer.
   */
  readonly #write: SocketWriteNow;
  readonly #remoteAddr: Deno.NetAddr;
  #closed = false;
  #closing = false;
  /** Waiting for the next head with nothing of it read yet. */
  #idle = true;
  #delegate: ServedConnection | undefined;
  readonly #watch: ClientWatch;

  constructor(conn: Deno.Conn, options: ServeH1Options) {
    this.#conn = conn;
    this.#options = options;
    this.#limits = { ...DEFAULT_H1_LIMITS, ...options.limits };
    this.#reader = new H1Reader(conn, this.#limits.maxHeadBytes);
    this.#write = socketWriteNow(conn);
    this.#watch = new ClientWatch(this.#reader, () => this.#closing = true);
    this.#remoteAddr = conn.remoteAddr as Deno.NetAddr;
    this.finished = this.#run().catch(() => {}).finally(() => {
      this.#closed = true;
      this.#closeSocket();
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  shutdown(): Promise<void> {
    if (this.#delegate !== undefined) return this.#delegate.shutdown();
    this.#closing = true;
    if (this.#idle && this.#reader.buffered() === 0) this.#closeSocket();
    return this.finished;
  }

  close(): void {
    if (this.#delegate !== undefined) return this.#delegate.close();
    this.#closing = true;
    this.#closeSocket();
  }

  #closeSocket(): void {
    if (this.#delegate !== undefined) return;
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  async #run(): Promise<void> {
    if (!await this.#sniff()) return;
    const r = this.#reader;
    let count = 0;
    while (!this.#closing) {
      this.#idle = true;
      let head: RequestHead;
      try {
        r.beginHead();
        while (!r.takeHead()) {
          const ahead = this.#watch.ahead;
          if (!(ahead === undefined ? r.filled(await r.read()) : await ahead)) {
            if (r.buffered() === 0) return;
            throw new H1RequestError(400, "Connection ended inside a request head");
          }
        }
        this.#idle = false;
        head = parseRequestHead(r.buf, r.headStart, r.headEnd, this.#limits.maxHeaderFields);
      } catch (error) {
        if (error instanceof H1RequestError) await this.#refuse(error, this.#headRequested());
        return;
      }
      const last = ++count >= this.#limits.maxRequests;
      if (!await this.#exchange(head, last)) return;
    }
  }

  /**
   * Reads the first bytes; a connection that opens with the HTTP/2 preface
   * goes to the HTTP/2 server. False when this server is done with `conn`.
   */
  async #sniff(): Promise<boolean> {
    const r = this.#reader;
    for (;;) {
      if (!await r.fill()) return r.buffered() > 0;
      const n = Math.min(r.buffered(), H2_PREFACE.length);
      let same = true;
      for (let i = 0; same && i < n; i++) same = r.buf[r.start + i] === H2_PREFACE[i];
      if (!same) return true;
      if (n === H2_PREFACE.length) break;
    }
    if (this.#options.h2 === undefined) return true; // Refused as a request line.
    const first = r.buf.slice(r.start, r.end);
    this.#delegate = this.#options.h2(this.#conn, first);
    await this.#delegate.finished;
    return false;
  }

  /**
   * Serves one request; true when the connection may carry the next one.
   * The one `async` step of a request: the answer (or a pending answer's
   * backend response) and its write are awaited here, each once, and nothing
   * else is unless a body streams.
   */
  async #exchange(head: RequestHead, last: boolean): Promise<boolean> {
    // A request without a body shares one progress that nothing writes to.
    const progress: BodyProgress = !head.chunked && head.contentLength <= 0
      ? NO_BODY
      : { done: false, error: undefined, started: false };
    const { method } = head;
    const body = progress === NO_BODY ? null : bodyStream(
      this.#reader,
      head,
      progress,
      () => head.expectContinue ? writeAll(this.#conn, CONTINUE) : Promise.resolve(),
      this.#limits.maxHeadBytes,
    );
    const info = new RequestCompletion(this.#remoteAddr, head.trailers);
    const watch = this.#watch;
    watch.inflight = info;
    let keep: boolean;
    try {
      // Deno's engine gives a GET or HEAD no body (the handler refuses one that declares it).
      const handed = method === "GET" || method === "HEAD" ? null : body;
      let response = this.#answer(head, handed, info);
      // From the end of the body on, the client's leaving is watched.
      if (progress.done) watch.readAhead();
      else if (handed !== null) progress.onDone = watch.bodyRead;
      if (response instanceof PendingAnswer) {
        // The backend's answer is awaited here: the handler made no async step of its own.
        const pending = response;
        try {
          response = pending.done(await pending.upstream);
        } catch (error) {
          response = pending.failed(error);
        }
      } else if (response instanceof Promise) {
        try {
          response = await response;
        } catch (error) {
          response = await this.#recover(error);
        }
      }
      if (info.gone) {
        // Nobody to answer: the backend call was cancelled, and what came instead goes unread.
        const rest = response?.body;
        if (rest instanceof ReadableStream) rest.cancel().catch(() => {});
        return false;
      }
      if (response === undefined) {
        await this.#refuse(
          new H1RequestError(400, "Cannot parse the request target or Host"),
          method === "HEAD",
        );
        return false;
      }
      if (progress.error !== undefined) {
        const rest = response.body;
        if (rest instanceof ReadableStream) rest.cancel().catch(() => {});
        await this.#refuse(progress.error, false);
        return false;
      }
      // A client still waiting for `100 Continue` will not send the body: the connection ends here.
      const close = this.#closing || last || !head.keepAlive ||
        (head.expectContinue && !progress.started && !progress.done);
      const writer = this.#writer;
      const bytes = response instanceof Response
        ? writer.response(response, method, head.minor, close, head.trailers)
        : writer.upstream(response, method, head.minor, close);
      try {
        // A write the socket took at once is not awaited: the request ends in this turn.
        const sent = this.#write(bytes);
        const n = typeof sent === "number" ? sent : await sent;
        if (n < bytes.length) await writeAll(this.#conn, bytes.subarray(n));
      } finally {
        writer.written();
      }
      keep = writer.streams ? await writer.finish(this.#conn) : writer.keepsAlive;
    } finally {
      // The answer is out: from here the idle timeout bounds the wait for the rest of a body.
      watch.inflight = undefined;
      info.complete();
    }
    if (keep && body !== null && !progress.done) {
      keep = await discardBody(body, progress, head.expectContinue, MAX_DISCARD_BYTES);
    }
    return keep && !this.#closing;
  }

  /**
   * The fast path's answer, else the handler's, or `onError`'s when either
   * throws; `undefined` when the head cannot make a `Request`. Not `async`:
   * an answer made at once is used at once, and a promise is awaited by the
   * caller (whose rejection goes to {@linkcode #recover}).
   */
  #answer(
    head: RequestHead,
    body: ReadableStream<Uint8Array> | null,
    info: RequestCompletion,
  ): FastAnswer | PendingAnswer | Promise<FastAnswer> | undefined {
    const fields = head.fields;
    try {
      const url = requestUrl(this.#options.scheme, head, this.#conn);
      // An origin-form target with a Host is what the URL was built from (see IncomingRequest.target).
      const target = head.host !== null && head.target.charCodeAt(0) === 47
        ? head.target
        : undefined;
      const fast = this.#options.fields?.(
        fieldsRequest(head.method, url, target, fields, body, info),
        info,
      );
      if (fast !== undefined) return fast;
      let request: Request;
      try {
        request = h1Request(head.method, url, fields.pairs(), body, info);
      } catch {
        return undefined;
      }
      return this.#options.handler(request, info);
    } catch (error) {
      return this.#recover(error);
    } finally {
      // The buffer is read into again after this call: nothing reads a field from it later.
      fields.release();
    }
  }

  /** `onError`'s answer to `error`, or a plain 500 when it fails too. */
  async #recover(error: unknown): Promise<Response> {
    try {
      return await this.#options.onError(error);
    } catch {
      return new Response("Internal error\n", { status: 500 });
    }
  }

  /** Whether the head being read starts with the HEAD method (its refusal then has no body). */
  #headRequested(): boolean {
    const r = this.#reader;
    const at = r.headStart;
    return r.end - at >= 5 && r.buf[at] === 72 && r.buf[at + 1] === 69 && r.buf[at + 2] === 65 &&
      r.buf[at + 3] === 68 && r.buf[at + 4] === 32;
  }

  /**
   * Answers a refused request with its status and closes (the framing is
   * not to be trusted); the answer to a HEAD request has no body.
   */
  async #refuse(error: H1RequestError, head: boolean): Promise<void> {
    const text = encoder.encode(`${error.message}\n`);
    const headBytes = encoder.encode(
      `HTTP/1.1 ${error.status} ${REASONS[error.status]}\r\n` +
        `content-type: text/plain; charset=utf-8\r\ncontent-length: ${text.length}\r\n` +
        `connection: close\r\n\r\n`,
    );
    const answer = new Uint8Array(headBytes.length + (head ? 0 : text.length));
    answer.set(headBytes);
    if (!head) answer.set(text, headBytes.length);
    try {
      await writeAll(this.#conn, answer);
    } catch {
      // The client is gone.
    }
  }
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  417: "Expectation Failed",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
  505: "HTTP Version Not Supported",
};
