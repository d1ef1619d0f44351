/**
 * A streaming gRPC call for tests, over a fresh h2c connection (prior
 * knowledge): the test sends messages and reads the answer's DATA as it
 * comes, without half-closing first, so it can prove that a proxy streams
 * both ways.
 * @module
 */
import http2 from "node:http2";
import type { Buffer } from "node:buffer";
import { frame } from "./grpc_peer.ts";

/** An open call. */
export interface GrpcStreamCall extends AsyncDisposable {
  /** The response headers. */
  readonly headers: Promise<http2.IncomingHttpHeaders>;
  /** The trailers, once the answer ended (empty when there were none). */
  readonly trailers: Promise<http2.IncomingHttpHeaders>;
  /** Sends one message (gRPC framing added). */
  send(message: string): void;
  /** Half-closes the request. */
  end(): void;
  /** Resolves with the answer's bytes once at least `n` bytes more arrived, as text. */
  read(n: number): Promise<string>;
}

/** Opens a call to `path` on 127.0.0.1:`port` with `:authority` `host`. */
export function grpcStream(port: number, host: string, path: string): GrpcStreamCall {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on("error", () => {});
  const stream = session.request({
    ":method": "POST",
    ":path": path,
    ":authority": host,
    "content-type": "application/grpc",
    te: "trailers",
  });
  let buffered = "";
  let wanted: { n: number; resolve: (s: string) => void } | undefined;
  let failure: Error | undefined;
  const settle = () => {
    if (wanted === undefined) return;
    if (failure !== undefined) return wanted.resolve(Promise.reject(failure) as never);
    if (buffered.length < wanted.n) return;
    const out = buffered.slice(0, wanted.n);
    buffered = buffered.slice(wanted.n);
    const { resolve } = wanted;
    wanted = undefined;
    resolve(out);
  };
  stream.on("data", (d: Buffer) => {
    buffered += d.toString("latin1");
    settle();
  });
  stream.on("error", (error: Error) => {
    failure = error;
    settle();
  });
  const headers = new Promise<http2.IncomingHttpHeaders>((resolve) =>
    stream.on("response", resolve)
  );
  let seen: http2.IncomingHttpHeaders = {};
  stream.on("trailers", (t) => seen = t);
  const trailers = new Promise<http2.IncomingHttpHeaders>((resolve) =>
    stream.on("close", () => resolve(seen))
  );
  return {
    headers,
    trailers,
    send: (message) => void stream.write(frame(new TextEncoder().encode(message))),
    end: () => void stream.end(),
    read: (n) =>
      new Promise<string>((resolve) => {
        wanted = { n, resolve };
        settle();
      }),
    [Symbol.asyncDispose]: async () => {
      stream.close();
      session.close();
      await trailers;
    },
  };
}

/** The text of one gRPC-framed message, as {@linkcode GrpcStreamCall.read} returns it. */
export function framedText(message: string): string {
  return new TextDecoder("latin1").decode(frame(new TextEncoder().encode(message)));
}
