/**
 * The decrypted relay of a client-certificate connection
 * (`tls_client_auth.ts`): a validated client's `node:tls` socket copied both
 * ways to a plain loopback connection served by the port. Connections that
 * negotiated `h2`, and every connection with `--http1-engine deno`, take it
 * (Deno's HTTP engine only serves its own sockets); HTTP/1.1 on our own
 * server is served from the socket directly (`tls_socket_conn.ts`).
 * @module
 */
import type { TLSSocket } from "node:tls";
import { drainOrClose } from "./node_stream_drain.ts";
import { closeQuietly, writeAll } from "./tcp_relay.ts";

const BUFFER = 16384;

/** Client to engine: the decrypted bytes, then a half-close. */
export async function toConn(socket: TLSSocket, conn: Deno.TcpConn): Promise<void> {
  try {
    for await (const chunk of socket) await writeAll(conn, chunk as Uint8Array);
    await conn.closeWrite();
  } catch {
    socket.destroy();
    closeQuietly(conn);
  }
}

/** Engine to client, with the socket's backpressure; ends the TLS stream at EOF. */
export async function toSocket(conn: Deno.TcpConn, socket: TLSSocket): Promise<void> {
  const buffer = new Uint8Array(BUFFER);
  try {
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      // The socket may keep the chunk queued: it gets its own copy.
      if (!socket.write(buffer.slice(0, n))) await drainOrClose(socket);
      if (socket.destroyed) return;
    }
    socket.end();
  } catch {
    socket.destroy();
    closeQuietly(conn);
  }
}
