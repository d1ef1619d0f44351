/**
 * One HTTP/1.1 request/response exchange on a claimed connection: write the
 * head (and a small body in the same write), stream a larger body while the
 * response is awaited (an upstream may answer early), skip interim
 * responses, and frame the response body by its headers. A reused
 * connection that fails before any response byte is reported as stale, so
 * the client may retry it once on a fresh connection.
 * @module
 */
import { ClientBodyError } from "./request_body.ts";
import { chunkedBody, lengthBody, untilCloseBody } from "./upstream_body.ts";
import type { Trailers } from "./response_trailers.ts";
import type { Http1Connection } from "./upstream_connection.ts";
import { type ParsedResponseHead, readResponseHead } from "./upstream_head_parser.ts";
import { type BodyFraming, encodeRequestHeadOn, sendBody } from "./upstream_request_writer.ts";
import { type FieldLines, UpstreamError, type UpstreamResponse } from "./upstream_types.ts";
import { ReadableStreamClass } from "./web_classes.ts";

/** Thrown when a reused connection turns out dead before any response byte. */
export class StaleConnectionError extends UpstreamError {
  /** `cause`: what the connection failed with, if anything. */
  constructor(cause?: unknown) {
    super("reset", "Upstream closed a reused connection before responding", { cause });
  }
}

/** What one exchange sends, and where its outcome goes. */
export interface Http1Exchange {
  readonly method: string;
  /** Request-target, sent as is. */
  readonly target: string;
  /** Flattened header names and values, framing headers excluded (after `fields`, when set). */
  readonly headers: string[];
  /** Header fields written from the client's bytes before `headers` (`UpstreamRequest.fields`). */
  readonly fields?: FieldLines;
  /**
   * The head as the first try wrote it: a retry on a fresh connection sends
   * these bytes again (the client's, which `fields` copied, are not readable
   * by then). Set by {@linkcode exchangeHttp1}.
   */
  sentHead?: Uint8Array;
  /** The body's framing, written as its header. */
  readonly framing: BodyFraming;
  readonly body: Uint8Array | ReadableStream<Uint8Array> | null;
  /** Response bodies with a Content-Length up to this size are read before answering. */
  readonly bufferBodyBytes: number;
  /** Every trailer section is read for the client, announced or not (else announced ones only). */
  readonly readsTrailers: boolean;
  /** A small body may be lent from the connection's buffer (`UpstreamRequest.takesBodyAtOnce`). */
  readonly lendsBody: boolean;
  /** Told once the response is over whether `c` may serve another request. */
  done(c: Http1Connection, reusable: boolean): void;
  /** Told when the response head (and a small body) is in hand. */
  answered(): void;
  /**
   * Told that the exchange on `c` failed with `error` before the response
   * was in hand: the answer is a retry's response, or it throws the error
   * the caller gets.
   */
  failed(c: Http1Connection, error: unknown): Promise<UpstreamResponse>;
}

/** The state of a request body streamed beside the response. */
interface BodyProgress {
  sent: boolean;
  clientError?: ClientBodyError;
}

/** Largest head plus body sent in one write. */
const ONE_WRITE_BYTES = 65536;
/**
 * A first write up to this size goes out without the connection's send
 * bound: the kernel takes it whole into the socket's empty send buffer (16
 * KiB at least by default), so it never waits on the backend, and the
 * common request costs no deadline. A larger one is bounded like a body.
 */
const UNBOUNDED_SEND_BYTES = 16 * 1024;

/**
 * Runs `exchange` on `c`, which must be claimed. The one `async` function
 * of a request: the write and the read of the answer are its only awaits
 * when the answer comes in one read, as it nearly always does. Failures go
 * to `exchange.failed`, which may retry.
 */
export async function exchangeHttp1(
  c: Http1Connection,
  exchange: Http1Exchange,
): Promise<UpstreamResponse> {
  const fresh = c.uses === 1;
  let progress: BodyProgress | null = null;
  let response: UpstreamResponse;
  try {
    try {
      const body = exchange.body;
      const small = body instanceof Uint8Array && body.length > 0 ? body : null;
      const room = small !== null && small.length <= ONE_WRITE_BYTES ? small.length : 0;
      const head = exchange.sentHead ?? (exchange.sentHead = encodeHead(c, exchange, room));
      const both = room > 0 ? withBody(head, small!) : null;
      const bytes = both ?? head;
      if (bytes.length > UNBOUNDED_SEND_BYTES) await c.write(bytes);
      else {
        // A send the socket took at once is not awaited: the read of the answer starts now.
        const sent = c.send(bytes);
        const n = typeof sent === "number" ? sent : await sent;
        if (n < bytes.length) await c.write(bytes.subarray(n));
      }
      if (small !== null && both === null) await c.write(small);
    } catch (error) {
      throw c.stalled ?? (fresh ? asUpstreamError(error) : new StaleConnectionError(error));
    }
    if (exchange.body instanceof ReadableStreamClass) progress = streamBody(c, exchange);
    for (let first = true;; first = false) {
      let head = bufferedHead(c, progress);
      while (head === undefined) {
        let ended: boolean;
        try {
          ended = !c.received(await c.readMore());
        } catch (error) {
          throw c.stalled ?? headReadError(error, progress, first && !fresh);
        }
        if (ended) throw c.stalled ?? headReadError(null, progress, first && !fresh);
        head = bufferedHead(c, progress);
      }
      if (head.status >= 200) {
        const answer = responseOf(c, exchange, head, progress);
        response = answer instanceof Promise ? await answer : answer;
        break;
      }
      if (head.status === 101) {
        throw new UpstreamError(
          "protocol",
          "Cannot accept upstream 101 Switching Protocols: no upgrade was requested",
        );
      }
      // Interim responses (100, 103) are not forwarded.
    }
  } catch (error) {
    return exchange.failed(c, error);
  }
  exchange.answered();
  return response;
}

/**
 * The request head in the connection's own buffer (which the previous
 * request's write has released), with `room` bytes free after it for a
 * small body when they fit.
 */
function encodeHead(c: Http1Connection, exchange: Http1Exchange, room: number): Uint8Array {
  return encodeRequestHeadOn(
    c.heads,
    room,
    exchange.method,
    exchange.target,
    exchange.headers,
    exchange.framing,
    exchange.fields,
  );
}

/** `head` with `body` after it, for one write; `null` when the two are too large for one. */
function withBody(head: Uint8Array, body: Uint8Array): Uint8Array | null {
  if (head.length + body.length > ONE_WRITE_BYTES) return null;
  // From the connection's buffer there is room after the head; else a copy makes it.
  const both = head.buffer.byteLength >= head.byteOffset + head.length + body.length
    ? new Uint8Array(head.buffer, head.byteOffset, head.length + body.length)
    : withRoom(head, body.length);
  both.set(body, head.length);
  return both;
}

/** Starts sending a streamed body while the response is awaited: an upstream may answer early. */
function streamBody(c: Http1Connection, exchange: Http1Exchange): BodyProgress {
  const progress: BodyProgress = { sent: false };
  sendBody(c, exchange.body as ReadableStream<Uint8Array>, exchange.framing === "chunked").then(
    () => progress.sent = true,
    (error) => {
      if (error instanceof ClientBodyError) progress.clientError = error;
      c.close();
    },
  );
  return progress;
}

/** A copy of `head` with `room` bytes free after it. */
function withRoom(head: Uint8Array, room: number): Uint8Array {
  const out = new Uint8Array(head.length + room);
  out.set(head);
  return out;
}

/** The head in `c`'s buffer, if whole; a client that went away mid-upload is the error then. */
function bufferedHead(
  c: Http1Connection,
  progress: BodyProgress | null,
): ParsedResponseHead | undefined {
  try {
    return c.bufferedHead(readResponseHead);
  } catch (error) {
    if (progress?.clientError !== undefined) throw progress.clientError;
    throw error;
  }
}

/**
 * What a failed or ended read of a response head stands for (`error`
 * `null`: the connection ended before any byte): the client's own body
 * error when its upload failed, a stale reused connection when nothing of
 * the first head came, else a reset.
 */
function headReadError(error: unknown, progress: BodyProgress | null, stale: boolean): unknown {
  // The client went away mid-upload and the connection was closed for it.
  if (progress?.clientError !== undefined) return progress.clientError;
  if (error === null) {
    return stale
      ? new StaleConnectionError()
      : new UpstreamError("reset", "Upstream closed the connection before responding");
  }
  if (stale && !(error instanceof UpstreamError)) return new StaleConnectionError(error);
  return error;
}

/**
 * The response of `parsed`, its body framed by the head (read whole when
 * small). Not `async`: a small body that came with its head, the common
 * answer, costs no promise. The head's field strings are made here, before
 * any await, unless the body is lent: then the fields stay in the
 * connection's buffer beside it (`UpstreamResponse.lines`).
 */
function responseOf(
  c: Http1Connection,
  exchange: Http1Exchange,
  parsed: ParsedResponseHead,
  progress: BodyProgress | null,
): UpstreamResponse | Promise<UpstreamResponse> {
  const status = parsed.status;
  const reusable = parsed.keepAlive;
  if (
    parsed.contentLength >= 0 && parsed.contentLength <= exchange.bufferBodyBytes &&
    exchange.method !== "HEAD" && status !== 204 && status !== 304
  ) {
    const length = parsed.contentLength;
    const lent = exchange.lendsBody ? c.lendBuffered(length) : undefined;
    if (lent !== undefined) {
      exchange.done(c, reusable && (progress === null || progress.sent));
      return parsed.placed ? new LentResponse(parsed, lent) : {
        status,
        headers: parsed.headers,
        body: lent,
        contentLength: null,
      };
    }
  }
  const headers = parsed.headers;
  if (exchange.method === "HEAD" || status === 204 || status === 304) {
    exchange.done(c, reusable && (progress === null || progress.sent));
    // The length a GET would get, when the backend told it (-1: it did not).
    const length = parsed.contentLength >= 0 ? parsed.contentLength : null;
    return { status, headers, body: null, contentLength: length };
  }
  if (parsed.contentLength >= 0 && parsed.contentLength <= exchange.bufferBodyBytes) {
    const bytes = c.takeBuffered(parsed.contentLength);
    if (bytes === undefined) {
      return c.readExact(parsed.contentLength).then((rest) => {
        exchange.done(c, reusable && (progress === null || progress.sent));
        return { status, headers, body: rest, contentLength: null };
      });
    }
    exchange.done(c, reusable && (progress === null || progress.sent));
    return { status, headers, body: bytes, contentLength: null };
  }
  const finish = (ok: boolean) =>
    exchange.done(c, ok && reusable && (progress === null || progress.sent));
  if (parsed.chunked) {
    // Trailers are read for the client when the backend announced them or the
    // client takes them (RFC 9112 §7.1.2 lets a sender leave them unannounced);
    // else they are dropped, since a response with trailers cannot take the
    // handler's fast path.
    if (!parsed.trailer && !exchange.readsTrailers) {
      return { status, headers, body: chunkedBody(c, finish), contentLength: null };
    }
    let settle!: (trailers: Trailers) => void;
    const trailers = new Promise<Trailers>((resolve) => settle = resolve);
    const body = chunkedBody(c, (ok) => {
      settle([]);
      finish(ok);
    }, (seen) => settle(seen));
    return { status, headers, body, contentLength: null, trailers };
  }
  if (parsed.contentLength >= 0) {
    return {
      status,
      headers,
      body: lengthBody(c, parsed.contentLength, finish),
      contentLength: parsed.contentLength,
    };
  }
  return { status, headers, body: untilCloseBody(c, finish), contentLength: null };
}

/**
 * A response whose small body is lent from the connection's buffer, with
 * its head's fields left there too: both are valid until the connection's
 * next read completes, which is never before the event loop's next turn.
 * The field strings are made only if something reads `headers` (a rule
 * that changes them), in that same turn.
 */
class LentResponse implements UpstreamResponse {
  readonly status: number;
  readonly contentLength = null;
  constructor(readonly lines: ParsedResponseHead, readonly body: Uint8Array) {
    this.status = lines.status;
  }

  get headers(): [string, string][] {
    return this.lines.headers;
  }
}

/** `error` as the upstream error it stands for; a client body error stays the client's. */
export function asUpstreamError(error: unknown): UpstreamError | ClientBodyError {
  if (error instanceof UpstreamError || error instanceof ClientBodyError) return error;
  return new UpstreamError(
    "reset",
    `Upstream connection failed: ${(error as Error)?.message ?? String(error)}`,
    { cause: error },
  );
}
