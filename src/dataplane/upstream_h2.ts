/**
 * The HTTP/2 upstream client, on `node:http2`, for gRPC backends (GRPCRoute
 * rules) and h2c backends (`appProtocol: kubernetes.io/h2c`), over
 * cleartext by prior knowledge or, under a BackendTLSPolicy, over TLS with
 * ALPN `h2`. Sessions are pooled and bounded by `upstream_h2_sessions.ts`.
 *
 * `fetch` is not used: it drops response trailers (gRPC carries its status
 * in them), sends `Host` beside `:authority` (nginx answers 400) and leaves
 * Nagle's algorithm on. Requests carry `:authority` from the client's
 * `Host` and no connection-specific header (RFC 9113 §8.2.2); `te` is
 * always `trailers`, since this client reads them. Bodies stream both ways
 * with backpressure; the response's trailers arrive as a promise on
 * `trailers`, settled when the backend's stream ends (empty when it ended
 * without any, or failed).
 * @module
 */
import http2 from "node:http2";
import { ClientGoneError, type GoneListener } from "./client_gone.ts";
import { http2StreamBody } from "./http2_stream_body.ts";
import { connectionListedHeaders, isHopByHop } from "./hop_by_hop.ts";
import { drainOrClose } from "./node_stream_drain.ts";
import { DEFAULT_UPSTREAM_SEND_TIMEOUT_MS } from "./upstream_connection.ts";
import { ClientBodyError, readClientChunk } from "./request_body.ts";
import type { Trailers } from "./response_trailers.ts";
import {
  authorityOf,
  type H2Lease,
  type H2SessionOptions,
  H2Sessions,
  type H2SessionStats,
} from "./upstream_h2_sessions.ts";
import {
  type UpstreamCallOptions,
  type UpstreamClient,
  type UpstreamEndpoint,
  UpstreamError,
  type UpstreamRequest,
  type UpstreamResponse,
} from "./upstream_types.ts";

/** The HTTP/2 client, with its session counters. */
export interface H2Client extends UpstreamClient {
  stats(): H2SessionStats;
}

/**
 * Creates the client.
 *
 * @example
 * ```ts
 * import { createH2Client } from "./upstream_h2.ts";
 * const client = createH2Client({ maxSessionsPerEndpoint: 2 });
 * client.close();
 * ```
 */
export function createH2Client(options: H2SessionOptions = {}): H2Client {
  const sessions = new H2Sessions(options);
  const sendTimeoutMs = options.sendTimeoutMs ?? DEFAULT_UPSTREAM_SEND_TIMEOUT_MS;
  return {
    request: (ep, req, opts) => exchange(sessions, ep, req, opts, sendTimeoutMs),
    stats: () => sessions.stats(),
    close: () => sessions.close(),
  };
}

/** Connection-specific request headers HTTP/2 forbids (RFC 9113 §8.2.2), and `host`. */
const NOT_FORWARDED = new Set([
  "host",
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "http2-settings",
]);

function outgoingHeaders(req: UpstreamRequest, scheme: string): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = {
    ":method": req.method,
    ":scheme": scheme,
    ":path": req.target,
  };
  let listed: Set<string> | undefined;
  for (let i = 0; i < req.headers.length; i += 2) {
    if (req.headers[i].toLowerCase() === "connection") {
      listed = connectionListedHeaders(req.headers[i + 1]);
    }
  }
  for (let i = 0; i < req.headers.length; i += 2) {
    const name = req.headers[i].toLowerCase();
    const value = req.headers[i + 1];
    if (name === "host") out[":authority"] = value;
    if (NOT_FORWARDED.has(name) || name.startsWith(":") || listed?.has(name)) continue;
    const prior = out[name];
    out[name] = prior === undefined ? value : [...[prior].flat().map(String), value];
  }
  // gRPC servers require it; the client's copy went with the hop-by-hop headers.
  out["te"] = "trailers";
  return out;
}

function headerPairs(headers: http2.IncomingHttpHeaders): [string, string][] {
  const out: [string, string][] = [];
  const connection = headers["connection"];
  const listed = connectionListedHeaders(connection === undefined ? null : String(connection));
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(":") || value === undefined || isHopByHop(name, listed)) continue;
    for (const v of [value].flat()) out.push([name, String(v)]);
  }
  return out;
}

/**
 * What ends a call early: its deadline (before the response head) or its
 * client leaving (before the head, or while the body streams: the stream is
 * reset with CANCEL, so the backend stops its work).
 */
class CallEnd implements GoneListener {
  readonly deadline = new AbortController();
  left = false;
  /** The call's stream, once opened. */
  stream: http2.ClientHttp2Stream | undefined;

  clientGone(): void {
    this.left = true;
    if (!this.deadline.signal.aborted) this.deadline.abort();
    const stream = this.stream;
    if (stream !== undefined && !stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
  }
}

/** One request: a stream slot, the request out, the response head back. */
async function exchange(
  sessions: H2Sessions,
  ep: UpstreamEndpoint,
  req: UpstreamRequest,
  opts: UpstreamCallOptions,
  sendTimeoutMs: number,
): Promise<UpstreamResponse> {
  const end = new CallEnd();
  const deadline = end.deadline;
  const client = req.client;
  if (client !== undefined) {
    if (client.gone) throw new ClientGoneError();
    client.onGone(end);
  }
  const timer = opts.timeoutMs > 0 ? setTimeout(() => deadline.abort(), opts.timeoutMs) : undefined;
  const timeout = () =>
    end.left ? new ClientGoneError() : new UpstreamError(
      "timeout",
      `Upstream ${authorityOf(ep)} did not respond within ${opts.timeoutMs} ms`,
    );
  try {
    let lease: H2Lease;
    try {
      lease = await sessions.lease(ep, opts.tls, deadline.signal);
    } catch (error) {
      if (deadline.signal.aborted) throw timeout();
      throw error;
    }
    return await send(lease, ep, req, end, timeout, sendTimeoutMs);
  } finally {
    clearTimeout(timer);
  }
}

function send(
  lease: H2Lease,
  ep: UpstreamEndpoint,
  req: UpstreamRequest,
  end: CallEnd,
  timeout: () => Error,
  sendTimeoutMs: number,
): Promise<UpstreamResponse> {
  const deadline = end.deadline.signal;
  return new Promise((resolve, reject) => {
    let settled = false;
    // Declared before `fail`, which removes it (added once the stream is open).
    const onDeadline = () => {
      fail(timeout());
      end.stream?.close(http2.constants.NGHTTP2_CANCEL);
    };
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      deadline.removeEventListener("abort", onDeadline);
      reject(error);
    };
    if (deadline.aborted) {
      lease.release();
      return fail(timeout());
    }
    let stream: http2.ClientHttp2Stream;
    try {
      stream = lease.session.request(outgoingHeaders(req, lease.scheme), {
        endStream: req.body === null,
      });
    } catch (error) {
      lease.release();
      return fail(
        new UpstreamError("connect", `Cannot open an HTTP/2 stream to ${authorityOf(ep)}`, {
          cause: error,
        }),
      );
    }
    end.stream = stream;
    deadline.addEventListener("abort", onDeadline, { once: true });
    let trailersSeen: Trailers = [];
    const trailers = new Promise<Trailers>((done) => {
      stream.on("trailers", (t) => trailersSeen = headerPairs(t));
      stream.on("close", () => {
        lease.release();
        done(trailersSeen);
        fail(
          end.left
            ? new ClientGoneError()
            : new UpstreamError("reset", `Upstream ${authorityOf(ep)} closed the stream`),
        );
      });
    });
    stream.on("error", (error: Error) => {
      fail(
        end.left ? new ClientGoneError() : new UpstreamError(
          "reset",
          `Upstream HTTP/2 request failed: ${error.message}`,
          { cause: error },
        ),
      );
    });
    stream.on("response", (headers, flags) => {
      if (settled) return;
      settled = true;
      deadline.removeEventListener("abort", onDeadline);
      resolve(responseOf(stream, req.method, headers, flags, trailers));
    });
    if (req.body !== null) void pump(req.body, stream, fail, sendTimeoutMs, authorityOf(ep));
  });
}

function responseOf(
  stream: http2.ClientHttp2Stream,
  method: string,
  headers: http2.IncomingHttpHeaders,
  flags: number,
  trailers: Promise<Trailers>,
): UpstreamResponse {
  const status = Number(headers[":status"]);
  const pairs = headerPairs(headers).filter(([n]) => n !== "content-length");
  const length = headers["content-length"];
  const contentLength = typeof length === "string" && /^[0-9]+$/.test(length)
    ? Number(length)
    : null;
  // A HEADERS frame that ends the stream ("Trailers-Only" in gRPC) is the whole answer.
  const ended = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
  if (ended || method === "HEAD" || status === 204 || status === 304) {
    stream.resume();
    return { status, headers: pairs, body: null, contentLength: ended ? 0 : contentLength };
  }
  const body = http2StreamBody(stream, {
    onCancel: () => stream.close(http2.constants.NGHTTP2_CANCEL),
    // Deno 2.9.6's `node:http2` ends a stream the backend reset with CANCEL
    // as if it were complete; only the code tells. (A reset with NO_ERROR
    // mid-body cannot be told from a complete answer at all.)
    endFailure: () =>
      stream.rstCode
        ? new Error(`Upstream reset the response stream (code ${stream.rstCode})`)
        : undefined,
  });
  return { status, headers: pairs, body, contentLength, trailers };
}

/**
 * Copies the client's request body to the backend stream as it arrives,
 * waiting for the stream's flow control, then ends it. A client that goes
 * away mid-upload fails the call as a {@linkcode ClientBodyError} (a 499,
 * not a 502) and resets the stream: the backend must not wait for the rest.
 * A backend whose flow control takes nothing more for `sendTimeoutMs` fails
 * the call with a timeout (a 504 before its response; after it, the reset
 * ends the response body in an error) and has the stream reset with CANCEL.
 */
async function pump(
  body: ReadableStream<Uint8Array>,
  stream: http2.ClientHttp2Stream,
  fail: (error: Error) => void,
  sendTimeoutMs: number,
  authority: string,
) {
  const reader = body.getReader();
  try {
    while (true) {
      const { done, value } = await readClientChunk(reader);
      if (done) break;
      if (stream.closed || stream.destroyed) return;
      if (!stream.write(value) && !(await drainWithin(stream, sendTimeoutMs))) {
        fail(
          new UpstreamError(
            "timeout",
            `Upstream ${authority} took no request bytes for ${sendTimeoutMs} ms`,
          ),
        );
        stream.close(http2.constants.NGHTTP2_CANCEL);
        return;
      }
    }
    if (!stream.closed && !stream.destroyed) stream.end();
  } catch (error) {
    fail(
      error instanceof ClientBodyError ? error : new ClientBodyError(
        `Cannot read the request body from the client: ${(error as Error)?.message ?? error}`,
        { cause: error },
      ),
    );
    stream.close(http2.constants.NGHTTP2_CANCEL);
  } finally {
    reader.releaseLock();
    if (stream.closed || stream.destroyed) void body.cancel().catch(() => {});
  }
}

/** Waits for `stream` to drain or close; `false` when it did neither within `ms` (`0`: for ever). */
async function drainWithin(stream: http2.ClientHttp2Stream, ms: number): Promise<boolean> {
  if (ms <= 0) {
    await drainOrClose(stream);
    return true;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
  try {
    return await Promise.race([drainOrClose(stream).then(() => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}
