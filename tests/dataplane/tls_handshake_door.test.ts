/**
 * The `node:tls` public socket of a port with several listeners
 * (`tls_handshake_door.ts`) on its own: each connection's SNI and client
 * address reach the server with the connection, `h2` is relayed decrypted
 * with its origin, and the port's connection limit holds, a closed
 * connection freeing its place.
 */
import { assert, assertEquals, assertRejects } from "@std/assert";
import { openHandshakeDoor } from "../../src/dataplane/tls_handshake_door.ts";
import type { DecryptedAlpn } from "../../src/dataplane/tls_decrypted_relay.ts";
import type { FrontDoorOrigin } from "../../src/dataplane/tls_front_door.ts";
import { sniCertificatesFor } from "../../src/dataplane/sni.ts";
import { connectTlsWithServerName } from "../../src/dataplane/tls_server.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { sharedTestCa } from "../_helpers/certs.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { httpsConfig } from "./_tls_harness.ts";

async function twoListeners() {
  const ca = await sharedTestCa();
  const { config, certificates } = httpsConfig(0, 1, [
    { name: "a", hostname: "a.example.org", certificate: await ca.issue(["a.example.org"]) },
    { name: "b", hostname: "b.example.org", certificate: await ca.issue(["b.example.org"]) },
  ]);
  return { ca, certificates: sniCertificatesFor(config.ports[0], certificates) };
}

Deno.test("a connection reaches the server with its SNI and client address; h2 is relayed decrypted with them", async () => {
  const { ca, certificates } = await twoListeners();
  const direct: Array<{ conn: Deno.Conn; origin: FrontDoorOrigin }> = [];
  const relayed: Array<{ conn: Deno.TcpConn; alpn: DecryptedAlpn }> = [];
  const door = openHandshakeDoor({
    hostname: "127.0.0.1",
    port: 0,
    certificates: () => certificates,
    logger: silentLogger,
    serveSocket: (conn, origin) => direct.push({ conn, origin }),
    serveDecrypted: (conn, alpn) => relayed.push({ conn, alpn }),
  });
  const { port } = await door.ready;
  const dial = (serverName: string, alpn: string) =>
    connectTlsWithServerName({
      hostname: "127.0.0.1",
      port,
      serverName,
      caCerts: [ca.certPem],
      alpnProtocols: [alpn],
    });
  const h1 = await dial("B.example.org", "http/1.1");
  const h2 = await dial("a.example.org", "h2");
  try {
    await h1.handshake();
    await h2.write(new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
    await waitFor("both connections served", () => direct.length === 1 && relayed.length === 1);
    assertEquals(direct[0].origin.serverName, "b.example.org");
    assertEquals(direct[0].origin.remoteAddr.port, (h1.localAddr as Deno.NetAddr).port);
    assertEquals(relayed[0].alpn, "h2");
    const origin = door.originOf((relayed[0].conn.remoteAddr as Deno.NetAddr).port);
    assertEquals(origin?.serverName, "a.example.org");
    assertEquals(origin?.remoteAddr.port, (h2.localAddr as Deno.NetAddr).port);
    const preface = new Uint8Array(24);
    assertEquals(await relayed[0].conn.read(preface), 24);
  } finally {
    h1.close();
    h2.close();
    for (const { conn } of direct) conn.close();
    for (const { conn } of relayed) conn.close();
    await door.close();
    await door.drained();
  }
});

Deno.test("past the port's connection limit a new connection is closed, and a closed one frees its place", async () => {
  const { ca, certificates } = await twoListeners();
  const served: Deno.Conn[] = [];
  const door = openHandshakeDoor({
    hostname: "127.0.0.1",
    port: 0,
    certificates: () => certificates,
    logger: silentLogger,
    maxConnections: 1,
    serveSocket: (conn) => served.push(conn),
    serveDecrypted: (conn) => conn.close(),
  });
  const { port } = await door.ready;
  const dial = () =>
    connectTlsWithServerName({
      hostname: "127.0.0.1",
      port,
      serverName: "a.example.org",
      caCerts: [ca.certPem],
      alpnProtocols: ["http/1.1"],
    });
  try {
    const first = await dial();
    await first.handshake();
    await waitFor("the first connection served", () => served.length === 1);
    const second = await dial();
    await assertRejects(() => second.handshake());
    second.close();
    first.close();
    served[0].close();
    await waitFor("the first connection's place freed", () => door.connections() === 0);
    const third = await dial();
    await third.handshake();
    await waitFor("the third connection served", () => served.length === 2);
    assert(door.connections() === 1);
    third.close();
  } finally {
    for (const conn of served) conn.close();
    await door.close();
    await door.drained();
  }
});
