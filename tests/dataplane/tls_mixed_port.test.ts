/**
 * One TLS port whose listeners mix Passthrough and Terminate
 * (`TLSRouteModeMixed`) through real loopback sockets, while its config
 * changes: a Terminate listener added to a passthrough port terminates new
 * connections at once and leaves open tunnels alone; removed again, its open
 * connections keep working while new ones with its name fall to the
 * Passthrough listener; shutdown waits for both kinds.
 */
import { assert, assertEquals, assertRejects } from "@std/assert";
import { createBackendPicker } from "../../src/dataplane/backend_picker.ts";
import { type PassthroughPort, serveTlsPassthrough } from "../../src/dataplane/tls_passthrough.ts";
import { connectTlsWithServerName } from "../../src/dataplane/tls_server.ts";
import { silentLogger } from "../../src/log/logger.ts";
import type { CertificateConfig, ListenerConfig, PortConfig } from "../../src/model/config.ts";
import { createTestCa, type TestCa } from "../_helpers/certs.ts";
import { tlsListenerConfig } from "../_helpers/tls_routes.ts";
import { httpOverTls } from "./tls_test_client.ts";

/** A plain TCP backend that echoes each line with a prefix. */
function echoBackend() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    for await (const conn of listener) {
      void (async () => {
        const buffer = new Uint8Array(1024);
        for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
          await conn.write(
            new TextEncoder().encode(`plain:${new TextDecoder().decode(buffer.subarray(0, n))}`),
          );
        }
        conn.close();
      })().catch(() => {});
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      await serving;
    },
  };
}

function ports(...listeners: ListenerConfig[]): PortConfig {
  return { port: 0, protocol: "TLS", listeners };
}

async function dial(port: PassthroughPort, ca: TestCa, serverName: string) {
  return await connectTlsWithServerName({
    hostname: "127.0.0.1",
    port: port.addr.port,
    serverName,
    caCerts: [ca.certPem],
  });
}

/** A connection to `serverName` is closed before any handshake answer. */
async function refused(port: PassthroughPort, ca: TestCa, serverName: string): Promise<void> {
  const conn = await dial(port, ca, serverName);
  try {
    await assertRejects(() => conn.handshake());
  } finally {
    conn.close();
  }
}

/** Writes a line on a terminated connection and reads the backend's echo of it. */
async function echo(conn: Deno.Conn, line: string): Promise<string> {
  await conn.write(new TextEncoder().encode(line));
  const buffer = new Uint8Array(256);
  const n = await conn.read(buffer);
  return n === null ? "closed" : new TextDecoder().decode(buffer.subarray(0, n));
}

Deno.test("a TLS port gains and loses a Terminate listener beside its Passthrough one, open connections unharmed", async () => {
  await using ca = await createTestCa();
  const backendCert = await ca.issue(["db.example.com"]);
  const tlsBackend = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: backendCert.certPem,
    key: backendCert.keyPem,
    onListen: () => {},
  }, () => new Response("passed"));
  const plain = echoBackend();
  const issued = await ca.issue(["plain.example.com"]);
  const certificate: CertificateConfig = {
    id: "secret/default/plain",
    certPem: issued.certPem,
    keyPem: issued.keyPem,
    dnsNames: ["plain.example.com"],
    notAfter: "",
  };
  const passthrough = tlsListenerConfig(
    "tls",
    "*.example.com",
    "db.example.com",
    tlsBackend.addr.port,
  );
  const terminate = tlsListenerConfig(
    "plain",
    "plain.example.com",
    "plain.example.com",
    plain.port,
    certificate.id,
  );
  const port = serveTlsPassthrough({
    hostname: "127.0.0.1",
    port: 0,
    portConfig: ports(passthrough),
    picker: createBackendPicker(),
    logger: silentLogger,
  });
  try {
    // Passthrough only: plain.example.com is under *.example.com, whose route takes only db.
    await refused(port, ca, "plain.example.com");
    const tunnel = await dial(port, ca, "db.example.com");
    assertEquals((await httpOverTls(tunnel, { host: "db.example.com", path: "/" })).body, "passed");

    port.update(ports(terminate, passthrough), [certificate]);
    const terminated = await dial(port, ca, "plain.example.com");
    assertEquals(await echo(terminated, "one\n"), "plain:one\n");
    assertEquals(
      (await httpOverTls(tunnel, { host: "db.example.com", path: "/" })).body,
      "passed",
      "the tunnel opened before the change still works",
    );

    port.update(ports(passthrough), []);
    assertEquals(await echo(terminated, "two\n"), "plain:two\n", "terminated before the change");
    await refused(port, ca, "plain.example.com");
    const again = await dial(port, ca, "db.example.com");
    assertEquals((await httpOverTls(again, { host: "db.example.com", path: "/" })).body, "passed");
    again.close();

    let stopped = false;
    const stopping = port.shutdown().then(() => stopped = true);
    assertEquals(await echo(terminated, "three\n"), "plain:three\n", "shutdown drains");
    assert(!stopped);
    terminated.close();
    tunnel.close();
    await stopping;
  } finally {
    await port.shutdown();
    await tlsBackend.shutdown();
    await plain.close();
  }
});
