/**
 * The client for gRPC backends (GRPCRoute rules): HTTP/2 over cleartext by
 * prior knowledge, built on `node:http2`, because `fetch` drops response
 * trailers and gRPC carries its status (`grpc-status`, `grpc-message`) in
 * them. One session per endpoint, multiplexing every call to it; a session
 * that closes, fails or receives GOAWAY is replaced on the next call.
 *
 * The response's trailers arrive as a promise on
 * {@linkcode GrpcUpstreamResponse.trailers}, settled when the backend's
 * stream ends (empty when it ended without any, or failed).
 * @module
 */
import http2 from "node:http2";
import type { Trailers } from "./response_trailers.ts";
import { http2StreamBody } from "./http2_stream_body.ts";
import {
  type UpstreamCallOptions,
  type UpstreamClient,
  type UpstreamEndpoint,
  UpstreamError,
  type UpstreamRequest,
  type UpstreamResponse,
} from "./upstream_types.ts";

/**
 * An upstream response with the trailers still to come; without `trailers`
 * when the backend's first HEADERS frame ended the stream.
 */
export interface GrpcUpstreamResponse extends UpstreamResponse {
  trailers?: Promise<Trailers>;
}

/** The gRPC client: an {@linkcode UpstreamClient} whose responses carry trailers. */
export interface GrpcClient extends UpstreamClient {
  request(
    endpoint: UpstreamEndpoint,
    request: UpstreamRequest,
    options: UpstreamCallOptions,
  ): Promise<GrpcUpstreamResponse>;
}

/** Request headers HTTP/2 forbids or that the session sets itself. */
const NOT_FORWARDED = new Set(["host", "connection", "keep-alive", "transfer-encoding", "upgrade"]);

function authority(ep: UpstreamEndpoint): string {
  return ep.address.includes(":") ? `[${ep.address}]:${ep.port}` : `${ep.address}:${ep.port}`;
}

function outgoingHeaders(req: UpstreamRequest): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = { ":method": req.method, ":path": req.target };
  for (let i = 0; i < req.headers.length; i += 2) {
    const name = req.headers[i].toLowerCase();
    const value = req.headers[i + 1];
    if (name === "host") out[":authority"] = value;
    if (NOT_FORWARDED.has(name) || name.startsWith(":")) continue;
    const prior = out[name];
    out[name] = prior === undefined ? value : [...[prior].flat().map(String), value];
  }
  // gRPC servers require it; hop-by-hop removal took the client's copy.
  out["te"] = "trailers";
  return out;
}

function headerPairs(headers: http2.IncomingHttpHeaders): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(":") || value === undefined) continue;
    for (const v of [value].flat()) out.push([name, String(v)]);
  }
  return out;
}

/**
 * Creates the client.
 *
 * @example
 * ```ts
 * import { createGrpcClient } from "./upstream_grpc.ts";
 * const client = createGrpcClient();
 * client.close();
 * ```
 */
export function createGrpcClient(): GrpcClient {
  return new GrpcSessions();
}

/** The client: one HTTP/2 session per endpoint, opened on first use. */
class GrpcSessions implements GrpcClient {
  readonly #sessions = new Map<string, http2.ClientHttp2Session>();

  request(
    ep: UpstreamEndpoint,
    req: UpstreamRequest,
    opts: UpstreamCallOptions,
  ): Promise<GrpcUpstreamResponse> {
    return new Promise((resolve, reject) => {
      let settled = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const fail = (error: UpstreamError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      };
      let stream: http2.ClientHttp2Stream;
      try {
        stream = this.#sessionFor(ep).request(outgoingHeaders(req), {
          endStream: req.body === null,
        });
      } catch (error) {
        return fail(
          new UpstreamError("connect", `Cannot open a gRPC stream to ${authority(ep)}`, {
            cause: error,
          }),
        );
      }
      if (opts.timeoutMs > 0) {
        timer = setTimeout(() => {
          stream.close(http2.constants.NGHTTP2_CANCEL);
          fail(
            new UpstreamError(
              "timeout",
              `Upstream ${authority(ep)} did not respond within ${opts.timeoutMs} ms`,
            ),
          );
        }, opts.timeoutMs);
      }
      let trailersSeen: Trailers = [];
      const trailers = new Promise<Trailers>((done) => {
        stream.on("trailers", (t) => trailersSeen = headerPairs(t));
        stream.on("close", () => done(trailersSeen));
      });
      stream.on("error", (error: Error) => {
        const kind = /refused|connect/i.test(error.message) ? "connect" : "reset";
        fail(
          new UpstreamError(kind, `Upstream gRPC call failed: ${error.message}`, { cause: error }),
        );
      });
      stream.on("response", (headers, flags) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const status = Number(headers[":status"]);
        const pairs = headerPairs(headers).filter(([n]) => n !== "content-length");
        // A HEADERS frame that ends the stream ("Trailers-Only" in gRPC) is the whole answer.
        const ended = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
        if (ended) {
          stream.resume();
          return resolve({ status, headers: pairs, body: null, contentLength: 0 });
        }
        resolve({ status, headers: pairs, body: bodyOf(stream), contentLength: null, trailers });
      });
      if (req.body !== null) void pump(req.body, stream);
    });
  }

  close(): void {
    for (const session of this.#sessions.values()) session.close();
    this.#sessions.clear();
  }

  #sessionFor(ep: UpstreamEndpoint): http2.ClientHttp2Session {
    const sessions = this.#sessions;
    const key = authority(ep);
    const known = sessions.get(key);
    if (known !== undefined && !known.closed && !known.destroyed) return known;
    const session = http2.connect(`http://${key}`);
    const forget = () => {
      if (sessions.get(key) === session) sessions.delete(key);
    };
    session.on("error", forget);
    session.on("close", forget);
    session.on("goaway", forget);
    // Never `session.unref()`: in Deno 2.9.6 an unref'd client session beside
    // server sessions aborts the process in nghttp2 (`find_stream_on_goaway_func:
    // Assertion 'stream->closed_next == NULL' failed`) once a server session
    // closes. `close()` ends the sessions at shutdown instead.
    sessions.set(key, session);
    return session;
  }
}

/** The stream's DATA frames as a byte stream; cancelling it resets the stream. */
function bodyOf(stream: http2.ClientHttp2Stream): ReadableStream<Uint8Array> {
  return http2StreamBody(stream, {
    failEvent: "error",
    failure: (error) => error,
    onCancel: () => stream.close(http2.constants.NGHTTP2_CANCEL),
  });
}

/** Copies the client's request body to the backend stream, then ends it. */
async function pump(body: ReadableStream<Uint8Array>, stream: http2.ClientHttp2Stream) {
  const reader = body.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!stream.write(value)) {
        await new Promise<void>((resolve) => {
          stream.once("drain", resolve);
          stream.once("close", resolve);
        });
      }
      if (stream.closed || stream.destroyed) break;
    }
    stream.end();
  } catch {
    // The client went away mid-call: the backend must not wait for the rest.
    stream.close(http2.constants.NGHTTP2_CANCEL);
  } finally {
    reader.releaseLock();
  }
}
