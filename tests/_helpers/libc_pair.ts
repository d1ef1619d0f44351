/**
 * A libc socket (`libc_socket.ts`) connected to a Deno socket on loopback,
 * for tests of the libc sockets that hold both ends.
 * @module
 */
import type { LibcConn } from "../../src/dataplane/libc_socket.ts";
import { libcConnect } from "../../src/dataplane/libc_connect.ts";
import { libcReactor } from "../../src/dataplane/libc_reactor.ts";

/** Both ends: the libc connection that dialled, and Deno's accepted side. */
export interface LibcPair {
  conn: LibcConn;
  peer: Deno.TcpConn;
  /** Closes both ends, whichever the test closed already. */
  close(): void;
}

/**
 * Dials a Deno listener on a free loopback port with libc's sockets,
 * accepts, and closes the listener. Only where libc's sockets can be had.
 *
 * @example
 * ```ts
 * import { libcPair } from "./libc_pair.ts";
 * const { conn, peer, close } = await libcPair();
 * await peer.write(new TextEncoder().encode("hello"));
 * await conn.read(new Uint8Array(5));
 * close();
 * ```
 */
export async function libcPair(): Promise<LibcPair> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connecting = libcConnect({ hostname: "127.0.0.1", port: listener.addr.port })!;
  const [conn, peer] = await Promise.all([connecting, listener.accept()]);
  listener.close();
  return {
    conn,
    peer,
    close: () => {
      for (const end of [conn, peer]) {
        try {
          end.close();
        } catch {
          // Closed by the test.
        }
      }
    },
  };
}

/** Resolves once this isolate's reactor has nothing registered and no wait pending. */
export async function libcSettled(): Promise<void> {
  const reactor = libcReactor();
  if (!("problem" in reactor)) await reactor.idle();
}
