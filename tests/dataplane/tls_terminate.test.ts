/**
 * TLS Terminate on a TLS port through real loopback sockets: the client's
 * handshake is with the gateway (it verifies the listener's certificate), and
 * the backend gets the decrypted bytes over plain TCP, including a backend
 * that speaks first. A server name without a route is closed before any
 * handshake answer.
 */
import { assertEquals, assertRejects } from "@std/assert";
import { createBackendPicker } from "../../src/dataplane/backend_picker.ts";
import { serveTlsPassthrough } from "../../src/dataplane/tls_passthrough.ts";
import { connectTlsWithServerName } from "../../src/dataplane/tls_server.ts";
import { silentLogger } from "../../src/log/logger.ts";
import type { CertificateConfig, PortConfig } from "../../src/model/config.ts";
import { createTestCa } from "../_helpers/certs.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A plain TCP backend that greets first, then echoes what it gets. */
function greetingEchoBackend() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const received: string[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      void (async () => {
        await conn.write(encoder.encode("welcome\n"));
        const buffer = new Uint8Array(1024);
        for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
          received.push(decoder.decode(buffer.subarray(0, n)));
          await conn.write(buffer.subarray(0, n));
        }
        conn.close();
      })().catch(() => {});
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    received,
    async close() {
      listener.close();
      await serving;
    },
  };
}

function terminatingPort(backendPort: number): PortConfig {
  return {
    port: 0,
    protocol: "TLS",
    listeners: [{
      id: "gateway/default/gw/listener/tls",
      ids: ["gateway/default/gw/listener/tls"],
      hostname: "*.example.com",
      port: 0,
      protocol: "TLS",
      virtualHosts: [],
      tls: { certificateIds: ["secret/default/cert"] },
      tlsHosts: [{
        hostname: "db.example.com",
        route: "default/db",
        rule: {
          id: "tlsroute/default/db/rule/0",
          filters: [],
          backends: [{
            id: "service/default/db:5432",
            weight: 1,
            protocol: "tcp",
            endpoints: [{ address: "127.0.0.1", port: backendPort }],
            filters: [],
          }],
          invalidWeight: 0,
        },
      }],
    }],
  };
}

async function readLine(conn: Deno.Conn): Promise<string> {
  let text = "";
  const buffer = new Uint8Array(256);
  while (!text.includes("\n")) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error("Cannot read a line: connection closed");
    text += decoder.decode(buffer.subarray(0, n));
  }
  return text;
}

Deno.test("a Terminate listener completes the handshake with its certificate and relays plaintext to a server-first backend", async () => {
  await using ca = await createTestCa();
  const leaf = await ca.issue(["*.example.com"]);
  const certificate: CertificateConfig = {
    id: "secret/default/cert",
    certPem: leaf.certPem,
    keyPem: leaf.keyPem,
    dnsNames: ["*.example.com"],
    notAfter: "2099-01-01T00:00:00Z",
  };
  const backend = greetingEchoBackend();
  const port = serveTlsPassthrough({
    hostname: "127.0.0.1",
    port: 0,
    portConfig: terminatingPort(backend.port),
    certificates: [certificate],
    picker: createBackendPicker(),
    logger: silentLogger,
  });
  try {
    const conn = await connectTlsWithServerName({
      hostname: "127.0.0.1",
      port: port.addr.port,
      serverName: "db.example.com",
      caCerts: [ca.certPem],
    });
    assertEquals(await readLine(conn), "welcome\n", "the backend spoke first, through the gateway");
    await conn.write(encoder.encode("ping\n"));
    assertEquals(await readLine(conn), "ping\n");
    conn.close();
    assertEquals(backend.received.join(""), "ping\n", "the backend got plaintext");

    await assertRejects(() =>
      connectTlsWithServerName({
        hostname: "127.0.0.1",
        port: port.addr.port,
        serverName: "other.example.com",
        caCerts: [ca.certPem],
      }).then(async (c) => {
        try {
          await readLine(c);
        } finally {
          c.close();
        }
      })
    );
  } finally {
    await port.shutdown();
    await backend.close();
  }
});
