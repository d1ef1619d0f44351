/**
 * The decrypted relay on its own: the engine gets the client's plaintext,
 * and once the engine closed, a client that never closes its side is let go
 * after the grace instead of holding the socket.
 */
import { assertEquals } from "@std/assert";
import { createServer, type TLSSocket } from "node:tls";
import type { AddressInfo } from "node:net";
import { DecryptedRelay } from "../../src/dataplane/tls_decrypted_relay.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { sharedTestCa } from "../_helpers/certs.ts";
import { waitFor } from "../_helpers/wait_for.ts";

Deno.test("once the engine closed, a client that never closes its side is let go after the grace", async () => {
  const ca = await sharedTestCa();
  const leaf = await ca.issue(["127.0.0.1"]);
  const received: string[] = [];
  const relay = new DecryptedRelay<{ name: string }>({
    logger: silentLogger,
    closeGraceMs: 50,
    // An engine that reads one request and closes at once.
    serve: (conn) => {
      void (async () => {
        const buffer = new Uint8Array(1024);
        const n = await conn.read(buffer).catch(() => null);
        if (n !== null) received.push(new TextDecoder().decode(buffer.subarray(0, n)));
        conn.close();
      })();
    },
  });
  const relays: Promise<void>[] = [];
  const server = createServer({ cert: leaf.certPem, key: leaf.keyPem });
  server.on("secureConnection", (socket: TLSSocket) => {
    socket.on("error", () => socket.destroy());
    relays.push(relay.relay(socket, { name: "a" }));
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port))
  );
  const client = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [ca.certPem] });
  try {
    await client.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    // The client reads to the end of the stream and never closes its side.
    const buffer = new Uint8Array(64);
    while (await client.read(buffer).catch(() => null) !== null) { /* drain */ }
    await waitFor("the relay started", () => relays.length === 1);
    await relays[0];
    assertEquals(received, ["GET / HTTP/1.1\r\nHost: a\r\n\r\n"]);
  } finally {
    client.close();
    relay.close();
    await new Promise((resolve) => server.close(resolve));
  }
});

Deno.test("the engine's side of a decrypted relay has Nagle's algorithm off, so an answer written in pieces is not held for the relay's delayed ACK", async () => {
  const ca = await sharedTestCa();
  const leaf = await ca.issue(["127.0.0.1"]);
  // Deno gives no way to read TCP_NODELAY back: record who turns it on.
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const probeConn = await Deno.connect({ hostname: "127.0.0.1", port: probe.addr.port });
  const tcpConn = Object.getPrototypeOf(probeConn) as Deno.TcpConn;
  probeConn.close();
  probe.close();
  const original = tcpConn.setNoDelay;
  const noDelay = new WeakSet<Deno.Conn>();
  tcpConn.setNoDelay = function (this: Deno.TcpConn, on?: boolean) {
    if (on !== false) noDelay.add(this);
    return original.call(this, on);
  };
  const served: boolean[] = [];
  const relay = new DecryptedRelay<{ name: string }>({
    logger: silentLogger,
    serve: (conn) => {
      served.push(noDelay.has(conn));
      conn.close();
    },
  });
  const relays: Promise<void>[] = [];
  const server = createServer({ cert: leaf.certPem, key: leaf.keyPem, ALPNProtocols: ["h2"] });
  server.on("secureConnection", (socket: TLSSocket) => {
    socket.on("error", () => socket.destroy());
    relays.push(relay.relay(socket, { name: "a" }));
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port))
  );
  const client = await Deno.connectTls({
    hostname: "127.0.0.1",
    port,
    caCerts: [ca.certPem],
    alpnProtocols: ["h2"],
  });
  try {
    await client.write(new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
    await waitFor("the engine got the connection", () => served.length === 1);
    assertEquals(served, [true]);
  } finally {
    tcpConn.setNoDelay = original;
    client.close();
    relay.close();
    await Promise.all(relays);
    await new Promise((resolve) => server.close(resolve));
  }
});
