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
import { ResponseClass } from "../web_classes.ts";
import { DEFAULT_H1_LIMITS, type H1Limits } from "./h1_limits.ts";
import { headRequested, refusalBytes } from "./h1_refusal.ts";

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
  /** The request being served: its body's progress, its body and its `info` (see {@linkcode #start}). */
  #progress: BodyProgress = NO_BODY;
  #body: ReadableStream<Uint8Array> | null = null;
  #info: RequestCompletion | undefined;

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
          const ahead = this.#watch.wait();
          if (!(ahead === undefined ? r.filled(await r.read()) : await ahead)) {
            if (r.buffered() === 0) return;
            throw new H1RequestError(400, "Connection ended inside a request head");
          }
        }
        this.#idle = false;
        head = parseRequestHead(r.buf, r.headStart, r.headEnd, this.#limits.maxHeaderFields);
      } catch (error) {
        if (error instanceof H1RequestError) {
          await this.#refuse(error, headRequested(r.buf, r.headStart, r.end));
        }
        return;
      }
      const last = ++count >= this.#limits.maxRequests;
      let answer = this.#start(head);
      // The answer is awaited here, in the connection's own loop: a request
      // has no `async` call of its own between its head and its write.
      if (answer instanceof PendingAnswer) {
        const pending = answer;
        try {
          answer = pending.done(await pending.upstream);
        } catch (error) {
          answer = pending.failed(error);
        }
      } else if (answer instanceof Promise) {
        try {
          answer = await answer;
        } catch (error) {
          answer = await this.#recover(error);
        }
      }
      const keep = this.#reply(head, last, answer);
      if (keep === false || (keep !== true && !await keep)) return;
    }
  }

  /**
   * Reads the first bytes; a connection that opens with the HTTP/2 preface
   * goes to the HTTP/2 server. False when this server is done with `conn`.
   */
  async #sniff(): Promise<boolean> {
    const r = this.#reader;
    const h2 = await r.startsWith(H2_PREFACE);
    if (h2 === undefined) return false;
    if (!h2 || this.#options.h2 === undefined) return true; // Without HTTP/2, refused as a request line.
    this.#delegate = this.#options.h2(this.#conn, r.buf.slice(r.start, r.end));
    await this.#delegate.finished;
    return false;
  }

  /**
   * Starts one request: its body, its `info` (kept in fields: one request
   * is served at a time) and its answer, which `#run` awaits when pending.
   */
  #start(head: RequestHead): Answer {
    // A request without a body shares one progress that nothing writes to.
    const progress: BodyProgress = !head.chunked && head.contentLength <= 0
      ? NO_BODY
      : { done: false, error: undefined, started: false };
    const method = head.method;
    const body = progress === NO_BODY ? null : bodyStream(
      this.#reader,
      head,
      progress,
      () => head.expectContinue ? writeAll(this.#conn, CONTINUE) : Promise.resolve(),
      this.#limits.maxHeadBytes,
    );
    const info = new RequestCompletion(this.#remoteAddr, head.trailers);
    this.#progress = progress;
    this.#body = body;
    this.#info = info;
    const watch = this.#watch;
    watch.inflight = info;
    try {
      // Deno's engine gives a GET or HEAD no body (the handler refuses one that declares it).
      const handed = method === "GET" || method === "HEAD" ? null : body;
      const answer = this.#answer(head, handed, info);
      // From the end of the body on, the client's leaving is watched.
      if (progress.done) watch.readAhead();
      else if (handed !== null) progress.onDone = watch.bodyRead;
      return answer;
    } catch (error) {
      this.#settle();
      throw error;
    }
  }

  /**
   * Writes the answer; true (or its promise) when the connection may carry
   * the next request. Not `async`: an answer the socket takes whole at once
   * ends its request in this turn; anything else goes on in a promise.
   */
  #reply(
    head: RequestHead,
    last: boolean,
    response: FastAnswer | undefined,
  ): boolean | Promise<boolean> {
    const progress = this.#progress;
    if (this.#info!.gone || response === undefined || progress.error !== undefined) {
      return this.#decline(head, response);
    }
    // A client still waiting for `100 Continue` will not send the body: the connection ends here.
    const close = this.#closing || last || !head.keepAlive ||
      (head.expectContinue && !progress.started && !progress.done);
    const writer = this.#writer;
    let bytes: Uint8Array;
    let sent: number | Promise<number>;
    try {
      bytes = response instanceof ResponseClass
        ? writer.response(response, head.method, head.minor, close, head.trailers)
        : writer.upstream(response, head.method, head.minor, close);
      sent = this.#write(bytes);
    } catch (error) {
      writer.written();
      this.#settle();
      throw error;
    }
    if (typeof sent !== "number" || sent < bytes.length || writer.streams) {
      return this.#writeRest(head, bytes, sent);
    }
    // Taken whole at once: the request ends in this turn.
    writer.written();
    this.#settle();
    return this.#next(head, writer.keepsAlive);
  }

  /** The rest of an answer whose first write waited or took part, and its streamed body. */
  async #writeRest(
    head: RequestHead,
    bytes: Uint8Array,
    sent: number | Promise<number>,
  ): Promise<boolean> {
    const writer = this.#writer;
    let keep: boolean;
    try {
      try {
        const n = typeof sent === "number" ? sent : await sent;
        if (n < bytes.length) await writeAll(this.#conn, bytes.subarray(n));
      } finally {
        writer.written();
      }
      keep = writer.streams ? await writer.finish(this.#conn) : writer.keepsAlive;
    } finally {
      this.#settle();
    }
    return await this.#next(head, keep);
  }

  /** No answer of its own: the client left, no `Request` could be made (400), or the body failed. */
  async #decline(head: RequestHead, response: FastAnswer | undefined): Promise<boolean> {
    try {
      const rest = response?.body;
      if (rest instanceof ReadableStream) rest.cancel().catch(() => {});
      // Nobody to answer when the client left: the backend call was cancelled.
      if (this.#info!.gone) return false;
      const error = response === undefined ? BAD_TARGET() : this.#progress.error!;
      await this.#refuse(error, response === undefined && head.method === "HEAD");
      return false;
    } finally {
      this.#settle();
    }
  }

  /** Whether the connection carries the next request (`keep`: the answer allows it), a body left unread dropped first. */
  #next(head: RequestHead, keep: boolean): boolean | Promise<boolean> {
    const body = this.#body;
    const progress = this.#progress;
    if (keep && body !== null && !progress.done) {
      return discardBody(body, progress, head.expectContinue, MAX_DISCARD_BYTES).then((kept) =>
        kept && !this.#closing
      );
    }
    return keep && !this.#closing;
  }

  /** The answer is out (or never will be): from here the idle timeout bounds the wait for the rest of a body. */
  #settle(): void {
    this.#watch.inflight = undefined;
    this.#info?.complete();
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
  ): Answer {
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

  /**
   * Answers a refused request with its status and closes (the framing is
   * not to be trusted); the answer to a HEAD request has no body.
   */
  async #refuse(error: H1RequestError, head: boolean): Promise<void> {
    try {
      await writeAll(this.#conn, refusalBytes(error, head));
    } catch {
      // The client is gone.
    }
  }
}

/** What the fast path or the handler answers a request with (`undefined`: no `Request` could be made). */
type Answer = FastAnswer | PendingAnswer | Promise<FastAnswer> | undefined;

const BAD_TARGET = () => new H1RequestError(400, "Cannot parse the request target or Host");
