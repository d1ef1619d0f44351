/**
 * The write of a socket that answers with the byte count itself when the
 * socket took bytes at once: a libc socket's (`libc_socket.ts`
 * `LibcConn.writeNow`), whose `write` completes a send at once but hands
 * the count back in a promise, resolved, that its caller still awaits: a
 * suspension and one turn of the microtask queue per write, and the proxy
 * path writes twice a request (the backend's request, the client's
 * answer). Any other connection is written through {@linkcode socketWriter}
 * (`socket_read.ts`), and its promise is the answer.
 *
 * @example
 * ```ts
 * import { socketWriteNow } from "./socket_write.ts";
 * declare const conn: Deno.Conn;
 * const write = socketWriteNow(conn);
 * const sent = write(new TextEncoder().encode("hello"));
 * const n = typeof sent === "number" ? sent : await sent; // may be fewer than 5
 * ```
 * @module
 */
import { LibcConn } from "./libc_socket.ts";
import { socketWriter } from "./socket_read.ts";

/** Writes `bytes` (never empty): the byte count written (maybe fewer), or its promise. */
export type SocketWriteNow = (bytes: Uint8Array) => number | Promise<number>;

/** The write of `conn`: a count at once when the socket took bytes at once, else a promise. */
export function socketWriteNow(conn: Deno.Conn): SocketWriteNow {
  if (conn instanceof LibcConn) return (bytes) => conn.writeNow(bytes);
  return socketWriter(conn);
}
