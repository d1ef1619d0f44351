/**
 * The ClientHello relay on its own: real TLS clients through it to a loopback
 * TLS listener, a ClientHello trickling in byte by byte, clients that send
 * garbage or nothing, and a loopback listener that drops the relayed
 * connection before answering.
 */
import { assertEquals, assertRejects } from "@std/assert";
import { type FrontDoor, openFrontDoor } from "../../src/dataplane/tls_front_door.ts";
import {
  connectTlsWithServerName,
  listenTlsWithSni,
  serveTlsConnection,
} from "../../src/dataplane/tls_server.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { createTestCa } from "../_helpers/certs.ts";
import { httpOverTls } from "./tls_test_client.ts";

/** A loopback TLS server answering each request with the origin the front door recorded. */
async function relayedServer(options: { helloTimeoutMs?: number; target?: () => number } = {}) {
  const ca = await createTestCa();
  const leaf = await ca.issue(["a.example.com", "b.example.com"]);
  const tls = listenTlsWithSni({
    hostname: "127.0.0.1",
    port: 0,
    reusePort: false,
    resolve: () => ({ cert: leaf.certPem, key: leaf.keyPem }),
  });
  const tlsPort = (tls.addr as Deno.NetAddr).port;
  let door: FrontDoor | undefined = undefined;
  const served: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of tls) {
      const handle = serveTlsConnection(conn, (_request, info) => {
        const origin = door!.lookup(info.remoteAddr.port);
        return new Response(`${origin?.serverName} ${origin?.remoteAddr.hostname}`);
      }, () => new Response("error", { status: 500 }));
      served.push(handle.finished.catch(() => {}));
    }
  })();
  door = openFrontDoor({
    hostname: "127.0.0.1",
    port: 0,
    target: options.target ?? (() => tlsPort),
    logger: silentLogger,
    helloTimeoutMs: options.helloTimeoutMs,
  });
  return {
    ca,
    door,
    tlsPort,
    async [Symbol.asyncDispose]() {
      await door!.close();
      tls.close();
      await accepting;
      await Promise.all(served);
      await door!.drained();
      await ca[Symbol.asyncDispose]();
    },
  };
}

Deno.test("a TLS client reaches the loopback listener through the relay, which knows its SNI and address", async () => {
  await using s = await relayedServer();
  const conn = await connectTlsWithServerName({
    hostname: "127.0.0.1",
    port: s.door.addr.port,
    serverName: "b.example.com",
    caCerts: [s.ca.certPem],
    alpnProtocols: ["http/1.1"],
  });
  const response = await httpOverTls(conn, { host: "b.example.com", path: "/" });
  assertEquals(response.body, "b.example.com 127.0.0.1");
  assertEquals(s.door.relays(), 1);
  conn.close();
});

Deno.test("a ClientHello that arrives one byte at a time is still read and relayed", async () => {
  await using s = await relayedServer();
  // A TCP hop that forwards the client's bytes one by one, flushing each.
  const chopper = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const chopping = (async () => {
    const inbound = await chopper.accept();
    const outbound = await Deno.connect({ hostname: "127.0.0.1", port: s.door.addr.port });
    (inbound as Deno.TcpConn).setNoDelay(true);
    outbound.setNoDelay(true);
    const back = outbound.readable.pipeTo(inbound.writable).catch(() => {});
    const buffer = new Uint8Array(1);
    try {
      while ((await inbound.read(buffer)) !== null) {
        await outbound.write(buffer);
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    } catch {
      // The test closed the connection.
    }
    try {
      outbound.close();
    } catch { /* closed by the pipe */ }
    await back;
  })();
  const conn = await connectTlsWithServerName({
    hostname: "127.0.0.1",
    port: (chopper.addr as Deno.NetAddr).port,
    serverName: "a.example.com",
    caCerts: [s.ca.certPem],
    alpnProtocols: ["http/1.1"],
  });
  const response = await httpOverTls(conn, { host: "a.example.com", path: "/" });
  assertEquals(response.body, "a.example.com 127.0.0.1");
  conn.close();
  chopper.close();
  await chopping;
});

async function closedByPeer(conn: Deno.Conn): Promise<boolean> {
  const buffer = new Uint8Array(64);
  try {
    return (await conn.read(buffer)) === null;
  } catch {
    return true; // reset
  }
}

Deno.test("a client that sends something other than a ClientHello is closed without a relay", async () => {
  await using s = await relayedServer();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.door.addr.port });
  await conn.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a.example.com\r\n\r\n"));
  assertEquals(await closedByPeer(conn), true);
  conn.close();
});

Deno.test("a client that sends no ClientHello in time is closed", async () => {
  await using s = await relayedServer({ helloTimeoutMs: 150 });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.door.addr.port });
  await conn.write(new Uint8Array([22, 3, 1])); // a record header, then silence
  const started = Date.now();
  assertEquals(await closedByPeer(conn), true);
  const waited = Date.now() - started;
  conn.close();
  // Closed at all proves the timeout fired (nothing else closes a silent client); not before it.
  assertEquals(waited >= 100, true, `closed after ${waited} ms`);
});

Deno.test("a relayed connection dropped before the TLS server answered is relayed again to the current listener", async () => {
  // The first target accepts and closes at once, as a closing listener resets its queue.
  const dropper = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let drops = 0;
  const dropping = (async () => {
    for await (const conn of dropper) {
      drops++;
      conn.close();
    }
  })();
  let tlsPort = 0;
  let targets = 0;
  await using s = await relayedServer({
    target: () => targets++ === 0 ? (dropper.addr as Deno.NetAddr).port : tlsPort,
  });
  tlsPort = s.tlsPort;
  const conn = await connectTlsWithServerName({
    hostname: "127.0.0.1",
    port: s.door.addr.port,
    serverName: "a.example.com",
    caCerts: [s.ca.certPem],
    alpnProtocols: ["http/1.1"],
  });
  const response = await httpOverTls(conn, { host: "a.example.com", path: "/" });
  assertEquals(response.body, "a.example.com 127.0.0.1");
  assertEquals([drops, targets], [1, 2]);
  conn.close();
  dropper.close();
  await dropping;
});

Deno.test("after close the front door refuses new connections", async () => {
  await using s = await relayedServer();
  await s.door.close();
  await assertRejects(() => Deno.connect({ hostname: "127.0.0.1", port: s.door.addr.port }));
});
