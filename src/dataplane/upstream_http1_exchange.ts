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
import { parseResponseHeadBytes, type ResponseHead } from "./upstream_head_parser.ts";
import { type BodyFraming, encodeRequestHeadInto, sendBody } from "./upstream_request_writer.ts";
import { UpstreamError, type UpstreamResponse } from "./upstream_types.ts";

/** Thrown when a reused connection turns out dead before any response byte. */
export class StaleConnectionError extends UpstreamError {
  /** `cause`: what the connection failed with, if anything. */
  constructor(cause?: unknown) {
    super("reset", "Upstream closed a reused connection before responding", { cause });
  }
}

/** What one exchange sends. */
export interface Http1Exchange {
  readonly method: string;
  /** Request-target, sent as is. */
  readonly target: string;
  /** Flattened header names and values, framing headers excluded. */
  readonly headers: string[];
  /** The body's framing, written as its header. */
  readonly framing: BodyFraming;
  readonly body: Uint8Array | ReadableStream<Uint8Array> | null;
  /** Response bodies with a Content-Length up to this size are read before answering. */
  readonly bufferBodyBytes: number;
  /** Told once the response is over whether `c` may serve another request. */
  readonly done: (reusable: boolean) => void;
}

/** The state of a request body streamed beside the response. */
interface BodyProgress {
  sent: boolean;
  clientError?: ClientBodyError;
}

/** Largest head plus body sent in one write. */
const ONE_WRITE_BYTES = 65536;

/** Runs `exchange` on `c`, which must be claimed. */
export async function exchangeHttp1(
  c: Http1Connection,
  exchange: Http1Exchange,
): Promise<UpstreamResponse> {
  const fresh = c.uses === 1;
  const body = exchange.body;
  const small = body instanceof Uint8Array && body.length > 0 ? body : null;
  try {
    // The head (and a small body after it) in the connection's own buffer, one write.
    const room = small !== null && small.length <= ONE_WRITE_BYTES ? small.length : 0;
    const head = encodeRequestHeadInto(
      c.scratch(1024 + room),
      exchange.method,
      exchange.target,
      exchange.headers,
      exchange.framing,
      room,
    );
    if (room > 0 && head.length + room <= ONE_WRITE_BYTES) {
      // From the connection's buffer there is room after the head; else a copy makes it.
      const both = head.buffer.byteLength >= head.byteOffset + head.length + room
        ? new Uint8Array(head.buffer, head.byteOffset, head.length + room)
        : withRoom(head, room);
      both.set(small!, head.length);
      await c.write(both);
    } else {
      await c.write(head);
      if (small !== null) await c.write(small);
    }
  } catch (error) {
    throw fresh ? asUpstreamError(error) : new StaleConnectionError(error);
  }
  const progress: BodyProgress = { sent: true };
  if (body instanceof ReadableStream) {
    progress.sent = false;
    // Sent while the response is awaited: an upstream may answer early.
    sendBody(c, body, exchange.framing === "chunked").then(() => progress.sent = true, (error) => {
      if (error instanceof ClientBodyError) progress.clientError = error;
      c.close();
    });
  }
  const parsed = await readFinalHead(c, fresh, progress);
  const finish = (reusable: boolean) =>
    exchange.done(reusable && parsed.keepAlive && progress.sent);
  return responseOf(c, exchange, parsed, finish);
}

/** A copy of `head` with `room` bytes free after it. */
function withRoom(head: Uint8Array, room: number): Uint8Array {
  const out = new Uint8Array(head.length + room);
  out.set(head);
  return out;
}

/** Reads response heads until a final one; interim ones (100, 103) are not forwarded. */
async function readFinalHead(
  c: Http1Connection,
  fresh: boolean,
  progress: BodyProgress,
): Promise<ResponseHead> {
  for (let first = true;; first = false) {
    let parsed: ResponseHead | null;
    try {
      parsed = await c.readHead(parseResponseHeadBytes);
    } catch (error) {
      // The client went away mid-upload and the connection was closed for it.
      if (progress.clientError !== undefined) throw progress.clientError;
      if (first && !fresh && !(error instanceof UpstreamError)) {
        throw new StaleConnectionError(error);
      }
      throw error;
    }
    if (parsed === null) {
      if (progress.clientError !== undefined) throw progress.clientError;
      if (first && !fresh) throw new StaleConnectionError();
      throw new UpstreamError("reset", "Upstream closed the connection before responding");
    }
    if (parsed.status >= 200) return parsed;
    if (parsed.status === 101) {
      throw new UpstreamError(
        "protocol",
        "Cannot accept upstream 101 Switching Protocols: no upgrade was requested",
      );
    }
  }
}

/**
 * The response of `parsed`, its body framed by the head (read whole when
 * small). Not `async`: a small body that came with its head, the common
 * answer, costs no promise.
 */
function responseOf(
  c: Http1Connection,
  exchange: Http1Exchange,
  parsed: ResponseHead,
  finish: (reusable: boolean) => void,
): UpstreamResponse | Promise<UpstreamResponse> {
  const { status, headers } = parsed;
  if (exchange.method === "HEAD" || status === 204 || status === 304) {
    finish(true);
    // The length a GET would get, when the backend told it (-1: it did not).
    const length = parsed.contentLength >= 0 ? parsed.contentLength : null;
    return { status, headers, body: null, contentLength: length };
  }
  if (parsed.chunked) {
    // Only a backend that announced trailers gets them read for the client:
    // a response with trailers cannot take the handler's fast path.
    if (!parsed.trailer) {
      return { status, headers, body: chunkedBody(c, finish), contentLength: null };
    }
    let settle!: (trailers: Trailers) => void;
    const trailers = new Promise<Trailers>((resolve) => settle = resolve);
    const body = chunkedBody(c, (reusable) => {
      settle([]);
      finish(reusable);
    }, (seen) => settle(seen));
    return { status, headers, body, contentLength: null, trailers };
  }
  if (parsed.contentLength >= 0) {
    if (parsed.contentLength <= exchange.bufferBodyBytes) {
      const bytes = c.takeBuffered(parsed.contentLength);
      if (bytes === undefined) {
        return c.readExact(parsed.contentLength).then((rest) => {
          finish(true);
          return { status, headers, body: rest, contentLength: null };
        });
      }
      finish(true);
      return { status, headers, body: bytes, contentLength: null };
    }
    return {
      status,
      headers,
      body: lengthBody(c, parsed.contentLength, finish),
      contentLength: parsed.contentLength,
    };
  }
  return { status, headers, body: untilCloseBody(c, finish), contentLength: null };
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
