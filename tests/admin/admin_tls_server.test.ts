/**
 * The TLS admin server's bounds: a client that never finishes its
 * handshake, or goes quiet after it, loses the connection, and connections
 * past the limit are closed at accept.
 */
import { assert, assertEquals } from "@std/assert";
import { serveAdminTls } from "../../src/admin/admin_tls_server.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { createTestCa } from "../_helpers/certs.ts";
import { freePort } from "../_helpers/gateway_process.ts";

async function withServer(
  options: { maxConnections?: number; handshakeTimeoutMs?: number; idleTimeoutMs?: number },
  run: (port: number, caPem: string) => Promise<void>,
): Promise<void> {
  await using ca = await createTestCa();
  const leaf = await ca.issue(["127.0.0.1"]);
  const port = freePort();
  const server = serveAdminTls(
    (request) => new Response(`host=${request.headers.get("host")}`),
    { hostname: "127.0.0.1", port, cert: leaf.certPem, key: leaf.keyPem, ...options },
    silentLogger,
  );
  await server.listening;
  try {
    await run(port, ca.certPem);
  } finally {
    await server.shutdown();
  }
}

/** Resolves once the peer closes `conn` (a read ends or fails). */
async function closedByPeer(conn: Deno.Conn): Promise<true> {
  const buffer = new Uint8Array(64);
  for (;;) {
    const n = await conn.read(buffer).catch(() => null);
    if (n === null) return true;
  }
}

Deno.test("a silent client is dropped at the handshake timeout; an idle one at the idle timeout", async () => {
  await withServer({ handshakeTimeoutMs: 200, idleTimeoutMs: 300 }, async (port, caPem) => {
    const silent = await Deno.connect({ hostname: "127.0.0.1", port });
    assert(await closedByPeer(silent));
    silent.close();
    const idle = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [caPem] });
    await idle.handshake();
    assert(await closedByPeer(idle));
    idle.close();
  });
});

Deno.test("connections past maxConnections are closed at accept; requests keep their Host", async () => {
  await withServer({ maxConnections: 1 }, async (port, caPem) => {
    const first = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [caPem] });
    await first.handshake();
    const second = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [caPem] });
    const refused = await second.handshake().then(() => closedByPeer(second), () => true);
    assert(refused);
    second.close();
    await first.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: localhost:1\r\n\r\n"));
    const buffer = new Uint8Array(1024);
    let text = "";
    while (!text.includes("host=")) {
      const n = await first.read(buffer);
      if (n === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
    assertEquals(text.split("\r\n")[0], "HTTP/1.1 200 OK");
    assert(text.endsWith("\r\n\r\nhost=localhost:1"), text);
    assert(text.toLowerCase().includes("content-length: 16"), text);
    first.close();
  });
});
