/**
 * HTTP/2 with response trailers, for ports that serve gRPC. Deno 2.9.6's
 * HTTP engine (`serve_connection.ts`) cannot send trailers (see
 * `response_trailers.ts`), and gRPC's status lives in them; `node:http2`'s
 * server can. So a connection that opens with the HTTP/2 preface is served
 * here: each stream becomes a `Request` for the port's ordinary handler, its
 * `Response` goes back as HEADERS and DATA, and trailers recorded for the
 * response (a gRPC backend's) follow the body.
 *
 * Deno's `node:http2` takes any duplex stream as a connection, so the
 * accepted `Deno.Conn` is wrapped in one, the bytes already read to
 * recognise the preface first.
 * @module
 */
import http2 from "node:http2";
import { Buffer } from "node:buffer";
import { Duplex } from "node:stream";
import type { ConnectionHandler, ServedConnection } from "./serve_connection.ts";
import { trailersOf } from "./response_trailers.ts";
import { respondToStream } from "./grpc_h2_response.ts";
import { http2StreamBody } from "./http2_stream_body.ts";

/** The client connection preface of HTTP/2 (RFC 9113 §3.4). */
export const H2_PREFACE = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** Whether `bytes` could be the start of the HTTP/2 preface (or all of it, and more). */
export function startsLikeH2(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, H2_PREFACE.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== H2_PREFACE[i]) return false;
  return true;
}

/**
 * A duplex over `conn` that yields `first` before what `conn` reads next.
 * It uses `conn.read`/`conn.write` directly: their promises are the only
 * ones a reset can reject, and each is handled here.
 */
function connDuplex(conn: Deno.Conn, first: Uint8Array): Duplex {
  let pending: Uint8Array | undefined = first.length > 0 ? first : undefined;
  let reading = false;
  const buffer = new Uint8Array(64 * 1024);
  const close = () => {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  };
  return new Duplex({
    read() {
      if (pending !== undefined) {
        const chunk = pending;
        pending = undefined;
        this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        return;
      }
      if (reading) return;
      reading = true;
      conn.read(buffer).then(
        (n) => {
          reading = false;
          this.push(n === null ? null : Buffer.from(buffer.slice(0, n)));
        },
        (error) => {
          reading = false;
          this.destroy(error);
        },
      );
    },
    write(chunk: Buffer, _encoding, callback) {
      writeAll(conn, chunk).then(() => callback(), (error) => callback(error));
    },
    final(callback) {
      conn.closeWrite().then(() => callback(), () => callback());
    },
    destroy(error, callback) {
      close();
      callback(error);
    },
  });
}

async function writeAll(conn: Deno.Conn, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) offset += await conn.write(chunk.subarray(offset));
}

/** Options of {@linkcode serveH2Connection}. */
export interface H2ConnectionOptions {
  handler: ConnectionHandler;
  onError: (error: unknown) => Response | Promise<Response>;
  /** `http` or `https`: the scheme of the request URLs. */
  scheme: "http" | "https";
}

/**
 * Serves `conn`, whose first bytes `first` were already read, as an
 * HTTP/2 connection.
 */
export function serveH2Connection(
  conn: Deno.Conn,
  first: Uint8Array,
  options: H2ConnectionOptions,
): ServedConnection {
  const socket = connDuplex(conn, first);
  const server = http2.createServer();
  let closed = false;
  let session: http2.ServerHttp2Session | undefined;
  const finished = new Promise<void>((resolve) => {
    socket.once("close", () => {
      closed = true;
      resolve();
    });
  });
  server.once("session", (s) => {
    session = s;
    s.on("error", () => socket.destroy());
    s.once("close", () => socket.destroy());
  });
  server.on("stream", (stream, headers) => {
    // A reset stream emits "error"; unheard, it would end the process.
    stream.on("error", () => {});
    void serveStream(stream, headers, conn.remoteAddr as Deno.NetAddr, options);
  });
  server.emit("connection", socket);
  return {
    finished,
    get closed() {
      return closed;
    },
    shutdown() {
      if (closed) return Promise.resolve();
      // GOAWAY: streams in flight finish, then the session closes.
      session?.close();
      if (session === undefined) socket.destroy();
      return finished;
    },
    close() {
      if (!closed) socket.destroy();
    },
  };
}

function requestOf(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  scheme: string,
): Request {
  const method = String(headers[":method"] ?? "GET");
  const authority = String(headers[":authority"] ?? headers.host ?? "");
  const path = String(headers[":path"] ?? "/");
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(":") || value === undefined) continue;
    for (const v of [value].flat()) out.append(name, String(v));
  }
  if (!out.has("host") && authority !== "") out.set("host", authority);
  const hasBody = method !== "GET" && method !== "HEAD" && !stream.readableEnded;
  const body = hasBody
    ? http2StreamBody(stream, {
      failEvent: "aborted",
      failure: () => new Error("The client reset the stream"),
      // Keep reading (and dropping) so the client's flow-control window stays open.
      onCancel: () => stream.resume(),
    })
    : null;
  return new Request(`${scheme}://${authority || "localhost"}${path}`, {
    method,
    headers: out,
    body,
    // @ts-ignore: `duplex` is required by fetch for a streamed body.
    duplex: "half",
  });
}

async function serveStream(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  remoteAddr: Deno.NetAddr,
  options: H2ConnectionOptions,
): Promise<void> {
  let completed!: () => void;
  const info = {
    remoteAddr,
    completed: new Promise<void>((resolve) => completed = resolve),
  } as Deno.ServeHandlerInfo<Deno.NetAddr>;
  let response: Response;
  try {
    const request = requestOf(stream, headers, options.scheme);
    response = await options.handler(request, info);
  } catch (error) {
    try {
      response = await options.onError(error);
    } catch {
      response = new Response("Internal error\n", { status: 500 });
    }
  }
  await respondToStream(stream, response, trailersOf(response));
  completed();
}
