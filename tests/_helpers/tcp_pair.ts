/**
 * A connected pair of loopback TCP sockets, for tests of code that reads or
 * writes a socket the test holds both ends of.
 * @module
 */

/** Both ends of one loopback TCP connection. */
export interface TcpPair {
  /** The end that dialled. */
  client: Deno.TcpConn;
  /** The end the listener accepted. */
  server: Deno.TcpConn;
  /** Closes both ends, whichever the test closed already. */
  close(): void;
}

/**
 * Dials a listener on a free loopback port, accepts, and closes the listener.
 *
 * @example
 * ```ts
 * import { tcpPair } from "./tcp_pair.ts";
 * const { client, server, close } = await tcpPair();
 * await client.write(new TextEncoder().encode("hello"));
 * await server.read(new Uint8Array(5));
 * close();
 * ```
 */
export async function tcpPair(): Promise<TcpPair> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connecting = Deno.connect({
    hostname: "127.0.0.1",
    port: (listener.addr as Deno.NetAddr).port,
  });
  const server = await listener.accept();
  listener.close();
  const client = await connecting;
  return {
    client,
    server,
    close() {
      for (const conn of [client, server]) {
        try {
          conn.close();
        } catch {
          // Closed by the test.
        }
      }
    },
  };
}
