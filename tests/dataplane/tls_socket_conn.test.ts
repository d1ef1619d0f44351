/**
 * A `node:tls` socket as the connection our HTTP/1.1 server reads and
 * writes (`tls_socket_conn.ts`): bytes both ways, end of stream both ways,
 * and a client that reads slowly holding a bounded number of written bytes.
 */
import { assert, assertEquals } from "@std/assert";
import { createServer, type TLSSocket } from "node:tls";
import type { AddressInfo } from "node:net";
import { socketConn } from "../../src/dataplane/tls_socket_conn.ts";
import { sharedTestCa } from "../_helpers/certs.ts";

const ADDR: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 443 };

/** A `node:tls` server on loopback whose connections `serve` gets as `Deno.Conn`s. */
async function tlsServer(serve: (conn: Deno.Conn) => Promise<void>) {
  const ca = await sharedTestCa();
  const leaf = await ca.issue(["127.0.0.1"]);
  const served: Promise<void>[] = [];
  const server = createServer({ cert: leaf.certPem, key: leaf.keyPem });
  server.on("secureConnection", (socket: TLSSocket) => {
    served.push(serve(socketConn(socket, { remoteAddr: ADDR, localAddr: ADDR })));
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port))
  );
  return {
    connect: () => Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [ca.certPem] }),
    async close() {
      await Promise.all(served);
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

Deno.test("a TLS socket reads what the client sent, its writes reach the client, and it reads end of stream", async () => {
  let received = "";
  let after: number | null | undefined;
  const server = await tlsServer(async (conn) => {
    const buffer = new Uint8Array(4096);
    while (received.length < 14) {
      const n = await conn.read(buffer);
      if (n === null) break;
      received += new TextDecoder().decode(buffer.subarray(0, n));
    }
    assertEquals(conn.remoteAddr, ADDR);
    await conn.write(new TextEncoder().encode(`got ${received.length} bytes`));
    after = await conn.read(buffer);
    conn.close();
  });
  const client = await server.connect();
  await client.write(new TextEncoder().encode("hello over TLS"));
  const reply = new Uint8Array(64);
  const n = await client.read(reply);
  assertEquals(new TextDecoder().decode(reply.subarray(0, n ?? 0)), "got 14 bytes");
  client.close();
  await server.close();
  assertEquals(received, "hello over TLS");
  assertEquals(after, null);
});

Deno.test("a client that reads slowly holds a bounded number of written bytes", async () => {
  const chunk = 1024 * 1024;
  const total = 48 * chunk;
  // Loopback socket buffers (both kernels' windows) plus the TLS socket's own
  // and one write: far below `total`, which an unbounded writer would queue at once.
  const bound = 16 * chunk;
  let accepted = 0;
  const server = await tlsServer(async (conn) => {
    while (accepted < total) accepted += await conn.write(new Uint8Array(chunk));
    conn.close();
  });
  const client = await server.connect();
  const buffer = new Uint8Array(16 * 1024);
  let received = 0;
  let mostAhead = 0;
  for (let n = await client.read(buffer); n !== null; n = await client.read(buffer)) {
    received += n;
    mostAhead = Math.max(mostAhead, accepted - received);
  }
  client.close();
  await server.close();
  assertEquals(received, total);
  assert(mostAhead <= bound, `the server had ${mostAhead} bytes accepted and not yet read`);
});
