/**
 * A small gRPC backend and client for tests, on `node:http2` over loopback.
 * Messages are opaque bytes in gRPC's length-prefixed framing; no protobuf.
 *
 * The backend answers `/echo.Echo/Say` with the request's message, the
 * headers `x-backend` (its name) and `x-seen-<name>` for each request header
 * named in `x-echo-headers`, and the trailers `grpc-status: 0`,
 * `grpc-message: fine` and `x-trailer: <name>`; `/echo.Echo/Missing` with a
 * Trailers-Only `grpc-status: 5`; anything else with `grpc-status: 12`.
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
  close(): Promise<void>;
}

/** gRPC framing of one message: flag 0, 4-byte big-endian length, bytes. */
export function frame(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + message.length);
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}

/** Starts a backend named `name` on a free loopback port. */
export async function startGrpcBackend(name: string): Promise<GrpcBackend> {
  const server = http2.createServer();
  let calls = 0;
  server.on("stream", (stream, headers) => {
    calls++;
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
  return { port, calls: () => calls, close, [Symbol.asyncDispose]: close };
}

/** What a unary call got back. */
export interface CallResult {
  headers: Record<string, string>;
  body: Uint8Array;
  trailers: Record<string, string>;
}

function plain(headers: http2.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = String(v);
  return out;
}

/**
 * One unary call over a fresh h2c connection (prior knowledge) to
 * 127.0.0.1:`port`, with `:authority` `host`.
 */
export function grpcCall(
  port: number,
  host: string,
  path: string,
  options: { headers?: Record<string, string>; message?: Uint8Array } = {},
): Promise<CallResult> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
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
      session.close();
      resolve({ headers, body: new Uint8Array(Buffer.concat(chunks)), trailers });
    });
    stream.end(frame(options.message ?? new TextEncoder().encode("hello")));
  });
}
