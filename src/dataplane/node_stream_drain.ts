/**
 * Waiting out a `node:stream` writer's backpressure: after `write` returned
 * false, the next chunk goes once the stream has drained, or not at all once
 * it closed (a closed stream never drains, so waiting for `drain` alone
 * would hang the copy for good).
 * @module
 */

/** The part of a `node:stream` writable (a TLS socket, an HTTP/2 stream) waited on. */
export interface DrainingStream {
  on(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
}

/**
 * Resolves at the stream's next `drain` or `close`, whichever comes first;
 * the caller checks whether the stream is still open before writing on.
 *
 * @example
 * ```ts
 * import { connect } from "node:tls";
 * import { drainOrClose } from "./node_stream_drain.ts";
 * const socket = connect({ host: "127.0.0.1", port: 8443 });
 * if (!socket.write(new Uint8Array(1 << 20))) await drainOrClose(socket);
 * ```
 */
export function drainOrClose(stream: DrainingStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}
