/**
 * A raw TCP server on a free loopback port that hands every connection it
 * accepts to a test's own `serve`, for backends that script their bytes
 * instead of answering through an HTTP server.
 * @module
 */

/** A running loopback server. */
export interface LoopbackServer extends AsyncDisposable {
  port: number;
  /** How many connections were accepted so far. */
  accepted(): number;
  /** Stops accepting, closes every connection still open, and waits for the accept loop. */
  close(): Promise<void>;
}

/**
 * Accepts until closed; each connection is served by `serve` and closed
 * when it returns or fails (a failure is the peer going away, not the test's).
 *
 * @example
 * ```ts
 * import { serveLoopback } from "./loopback_server.ts";
 * await using server = serveLoopback(async (conn) => {
 *   await conn.write(new TextEncoder().encode("HTTP/1.1 204 No Content\r\n\r\n"));
 * });
 * console.log(server.port);
 * ```
 */
export function serveLoopback(serve: (conn: Deno.Conn) => Promise<void>): LoopbackServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  let accepted = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      accepted++;
      open.add(conn);
      serve(conn).catch(() => {}).finally(() => {
        open.delete(conn);
        closeQuietly(conn);
      });
    }
  })().catch(() => {}); // The listener closed.
  const close = async () => {
    listener.close();
    for (const conn of open) closeQuietly(conn);
    await accepting;
  };
  return {
    port: (listener.addr as Deno.NetAddr).port,
    accepted: () => accepted,
    close,
    [Symbol.asyncDispose]: close,
  };
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Closed already.
  }
}
