/**
 * A small gRPC backend and client for tests, on `node:http2` over loopback.
 * Messages are opaque bytes in gRPC's length-prefixed framing; no protobuf.
 *
 * The backend answers `/echo.Echo/Say` with the request's message, the
 * headers `x-backend` (its name) and `x-seen-<name>` for each request header
 * named in `x-echo-headers`, and the trailers `grpc-status: 0`,
 * `grpc-message: fine` and `x-trailer: <name>`; `/echo.Echo/Missing` with a
 * Trailers-Only `grpc-status: 5`; anything else with `grpc-status: 12`.
 * Streaming methods: `/echo.Echo/Chat` (bidi) writes each piece of the
 * request body back as it arrives; `/echo.Echo/Collect` (client streaming)
 * answers once the request ends, with one message holding the call's byte count;
 * `/echo.Echo/Ticks` (server streaming) sends `tick-1` at once and `tick-2`
 * only when the test calls `releaseTicks()`.
 * @module
 */
import http2 from "node:http2";
import { Buffer } from "node:buffer";
import type { AddressInfo } from "node:net";

/** A running backend. */
export interface GrpcBackend extends AsyncDisposable {
  readonly port: number;
  /** Calls served so far. */
  calls(): number;
  /** Request body bytes received so far by streaming calls. */
  received(): number;
  /** Lets `/echo.Echo/Ticks` calls send their second message and end. */
  releaseTicks(): void;
  close(): Promise<void>;
}

/** Options of {@linkcode startGrpcBackend}. */
export interface GrpcBackendOptions {
  /** Serve TLS (ALPN `h2`) with this certificate. */
  tls?: { certPem: string; keyPem: string };
}

/** gRPC framing of one message: flag 0, 4-byte big-endian length, bytes. */
export function frame(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + message.length);
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}

/** Starts a backend named `name` on a free loopback port. */
export async function startGrpcBackend(
  name: string,
  options: GrpcBackendOptions = {},
): Promise<GrpcBackend> {
  const server = options.tls === undefined
    ? http2.createServer()
    : http2.createSecureServer({ cert: options.tls.certPem, key: options.tls.keyPem });
  let calls = 0;
  let received = 0;
  let releaseTicks!: () => void;
  const ticksReleased = new Promise<void>((resolve) => releaseTicks = resolve);
  const streaming: Record<string, (stream: http2.ServerHttp2Stream) => void> = {
    "/echo.Echo/Chat": (stream) => {
      stream.on("data", (d: Buffer) => {
        received += d.length;
        stream.write(d);
      });
      stream.on("end", () => stream.end());
    },
    "/echo.Echo/Collect": (stream) => {
      let bytes = 0;
      stream.on("data", (d: Buffer) => {
        bytes += d.length;
        received += d.length;
      });
      stream.on("end", () => stream.end(frame(new TextEncoder().encode(String(bytes)))));
    },
    "/echo.Echo/Ticks": (stream) => {
      stream.resume();
      stream.write(frame(new TextEncoder().encode("tick-1")));
      ticksReleased.then(() => stream.end(frame(new TextEncoder().encode("tick-2"))));
    },
  };
  server.on("stream", (stream, headers) => {
    calls++;
    stream.on("error", () => {});
    const serve = streaming[String(headers[":path"])];
    if (serve !== undefined) {
      stream.respond({ ":status": 200, "content-type": "application/grpc", "x-backend": name }, {
        waitForTrailers: true,
      });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      return serve(stream);
    }
    const chunks: Buffer[] = [];
    stream.on("data", (d: Buffer) => chunks.push(d));
    stream.on("end", () => {
      const path = String(headers[":path"]);
      if (path === "/echo.Echo/Say") {
        const out: http2.OutgoingHttpHeaders = {
          ":status": 200,
          "content-type": "application/grpc",
          "x-backend": name,
          "x-internal": "secret",
        };
        const wanted = String(headers["x-echo-headers"] ?? "").split(",").filter(Boolean);
        for (const h of wanted) out[`x-seen-${h}`] = String(headers[h] ?? "");
        stream.respond(out, { waitForTrailers: true });
        stream.on("wantTrailers", () => {
          stream.sendTrailers({ "grpc-status": "0", "grpc-message": "fine", "x-trailer": name });
        });
        stream.end(Buffer.concat(chunks));
        return;
      }
      const code = path === "/echo.Echo/Missing" ? "5" : "12";
      stream.respond(
        { ":status": 200, "content-type": "application/grpc", "grpc-status": code },
        { endStream: true },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return {
    port,
    calls: () => calls,
    received: () => received,
    releaseTicks,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** What a unary call got back. */
export interface CallResult {
  headers: Record<string, string>;
  body: Uint8Array;
  trailers: Record<string, string>;
  /** The protocol ALPN chose (a call over TLS), `false` for none; `undefined` for h2c. */
  alpn?: string | false;
}

/** TLS for a call: the CA to trust and, for a listener that asks, a client certificate. */
export interface CallTls {
  ca: string;
  cert?: string;
  key?: string;
}

function plain(headers: http2.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = String(v);
  return out;
}

/**
 * One unary call over a fresh connection to 127.0.0.1:`port`, with
 * `:authority` `host`: h2c by prior knowledge, or with `tls` over TLS
 * (ALPN h2, SNI `host`). Rejects when the stream ends without a
 * response head.
 */
export function grpcCall(
  port: number,
  host: string,
  path: string,
  options: { headers?: Record<string, string>; message?: Uint8Array; tls?: CallTls } = {},
): Promise<CallResult> {
  return new Promise((resolve, reject) => {
    const session = options.tls === undefined
      ? http2.connect(`http://127.0.0.1:${port}`)
      : http2.connect(`https://127.0.0.1:${port}`, { ...options.tls, servername: host });
    session.on("error", reject);
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      ":authority": host,
      "content-type": "application/grpc",
      te: "trailers",
      ...options.headers,
    });
    let headers: Record<string, string> = {};
    let trailers: Record<string, string> = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => headers = plain(h));
    stream.on("trailers", (t) => trailers = plain(t));
    stream.on("data", (d: Buffer) => chunks.push(d));
    stream.on("error", (error) => {
      session.close();
      reject(error);
    });
    stream.on("end", () => {
      const alpn = options.tls === undefined ? undefined : session.alpnProtocol;
      session.close();
      // A session the server ended before answering (a refused client
      // certificate, say) can end the stream without an error: no answer.
      if (headers[":status"] === undefined) {
        return reject(new Error("The stream ended without a response"));
      }
      resolve({ headers, body: new Uint8Array(Buffer.concat(chunks)), trailers, alpn });
    });
    stream.end(frame(options.message ?? new TextEncoder().encode("hello")));
  });
}
