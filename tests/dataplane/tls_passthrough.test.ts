/**
 * A TLS Passthrough port through real loopback sockets: TLS clients verify
 * the backends' own certificates through it (the gateway never terminates),
 * SNI picks the route, weights interleave, and connections without a route,
 * on the invalid share, without endpoints or without a ClientHello are
 * closed without a reply. Shutdown lets open tunnels finish.
 */
import { assert, assertEquals, assertRejects } from "@std/assert";
import { createBackendPicker } from "../../src/dataplane/backend_picker.ts";
import type { PassthroughRecord } from "../../src/dataplane/observer.ts";
import { type PassthroughPort, serveTlsPassthrough } from "../../src/dataplane/tls_passthrough.ts";
import { connectTlsWithServerName } from "../../src/dataplane/tls_server.ts";
import { silentLogger } from "../../src/log/logger.ts";
import type { BackendConfig, PortConfig, TlsHostConfig } from "../../src/model/config.ts";
import { createTestCa, type TestCa } from "../_helpers/certs.ts";
import { tlsBackend } from "../_helpers/tls_routes.ts";
import { httpOverTls } from "./tls_test_client.ts";

function backend(id: string, port: number, weight = 1): BackendConfig {
  return {
    id,
    weight,
    protocol: "tcp",
    endpoints: [{ address: "127.0.0.1", port }],
    filters: [],
  };
}

function host(hostname: string, backends: BackendConfig[], invalidWeight = 0): TlsHostConfig {
  return {
    hostname,
    route: `default/${hostname}`,
    rule: { id: `tlsroute/default/${hostname}/rule/0`, filters: [], backends, invalidWeight },
  };
}

function portConfig(hosts: TlsHostConfig[], listenerHostname: string | null = null): PortConfig {
  return {
    port: 0,
    protocol: "TLS",
    listeners: [{
      id: "gateway/default/gw/listener/tls",
      ids: ["gateway/default/gw/listener/tls"],
      hostname: listenerHostname,
      port: 0,
      protocol: "TLS",
      virtualHosts: [],
      tlsHosts: hosts,
    }],
  };
}

async function ask(port: PassthroughPort, ca: TestCa, serverName: string): Promise<string> {
  const conn = await connectTlsWithServerName({
    hostname: "127.0.0.1",
    port: port.addr.port,
    serverName,
    caCerts: [ca.certPem],
  });
  try {
    return (await httpOverTls(conn, { host: serverName, path: "/" })).body;
  } finally {
    conn.close();
  }
}

/** Connects and sends a ClientHello for `serverName`; resolves once the handshake fails. */
async function expectClosed(port: PassthroughPort, ca: TestCa, serverName: string) {
  await assertRejects(() => ask(port, ca, serverName));
}

async function world() {
  const ca = await createTestCa();
  const shared = ["w.example.com", "half.example.com"];
  const a = tlsBackend("a", await ca.issue(["a.example.com", ...shared]));
  const b = tlsBackend("b", await ca.issue(["b.example.com", "x.example.com", ...shared]));
  const records: PassthroughRecord[] = [];
  const port = serveTlsPassthrough({
    hostname: "127.0.0.1",
    port: 0,
    portConfig: portConfig([
      host("a.example.com", [backend("service/default/a:443", a.port)]),
      host("*.example.com", [backend("service/default/b:443", b.port)]),
    ]),
    picker: createBackendPicker(),
    logger: silentLogger,
    observer: {
      onRequest() {},
      onUpstreamError() {},
      onClientEvent() {},
      onPassthrough: (record) => records.push(record),
    },
  });
  return {
    ca,
    a,
    b,
    port,
    records,
    async [Symbol.asyncDispose]() {
      await port.shutdown();
      await a.server.shutdown();
      await b.server.shutdown();
      await ca[Symbol.asyncDispose]();
    },
  };
}

Deno.test("SNI picks the route and the client verifies the backend's own certificate", async () => {
  await using w = await world();
  assertEquals(await ask(w.port, w.ca, "a.example.com"), "a");
  assertEquals(await ask(w.port, w.ca, "x.example.com"), "b", "the wildcard route");
  assertEquals(w.records.map((r) => [r.route, r.outcome]), [
    ["default/a.example.com", "relayed"],
    ["default/*.example.com", "relayed"],
  ]);
});

Deno.test("a server name no route takes is closed without a reply", async () => {
  await using w = await world();
  await expectClosed(w.port, w.ca, "other.org");
  await expectClosed(w.port, w.ca, "example.com");
  assertEquals(w.records.map((r) => r.outcome), ["no_route", "no_route"]);
});

Deno.test("bytes that are not a ClientHello are closed without a reply", async () => {
  await using w = await world();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: w.port.addr.port });
  await conn.write(new TextEncoder().encode("GET / HTTP/1.1\r\nhost: a.example.com\r\n\r\n"));
  assertEquals(await conn.read(new Uint8Array(64)), null);
  conn.close();
  assertEquals(w.records.map((r) => r.outcome), ["no_hello"]);
});

Deno.test("weights 3:1 interleave connections, and the invalid share is closed", async () => {
  await using w = await world();
  w.port.update(portConfig([
    host("w.example.com", [
      backend("service/default/a:443", w.a.port, 3),
      backend("service/default/b:443", w.b.port, 1),
    ]),
    host("half.example.com", [backend("service/default/b:443", w.b.port)], 1),
  ]));
  const seen: string[] = [];
  for (let i = 0; i < 4; i++) seen.push(await ask(w.port, w.ca, "w.example.com"));
  assertEquals(seen, ["a", "a", "b", "a"]);
  w.records.length = 0;
  const answers: string[] = [];
  for (let i = 0; i < 4; i++) {
    answers.push(await ask(w.port, w.ca, "half.example.com").catch(() => "closed"));
  }
  assertEquals(answers, ["b", "closed", "b", "closed"]);
  assertEquals(w.records.map((r) => r.outcome), [
    "relayed",
    "invalid_backend",
    "relayed",
    "invalid_backend",
  ]);
});

Deno.test("a backend without endpoints, or one that refuses, closes the client", async () => {
  await using w = await world();
  const refusing = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = (refusing.addr as Deno.NetAddr).port;
  refusing.close();
  w.port.update(portConfig([
    host("empty.example.com", [{ ...backend("service/default/e:443", 1), endpoints: [] }]),
    host("dead.example.com", [backend("service/default/d:443", deadPort)]),
  ]));
  await expectClosed(w.port, w.ca, "empty.example.com");
  await expectClosed(w.port, w.ca, "dead.example.com");
  assertEquals(w.records.map((r) => r.outcome), ["no_endpoints", "connect_failed"]);
});

Deno.test("shutdown stops accepting and waits for open tunnels to end", async () => {
  await using w = await world();
  const conn = await connectTlsWithServerName({
    hostname: "127.0.0.1",
    port: w.port.addr.port,
    serverName: "a.example.com",
    caCerts: [w.ca.certPem],
  });
  assertEquals((await httpOverTls(conn, { host: "a.example.com", path: "/" })).body, "a");
  let finished = false;
  const stopping = w.port.shutdown().then(() => finished = true);
  await assertRejects(() =>
    Deno.connect({ hostname: "127.0.0.1", port: w.port.addr.port }).then((c) => {
      c.close();
    })
  );
  assertEquals(
    (await httpOverTls(conn, { host: "a.example.com", path: "/" })).body,
    "a",
    "the open tunnel still works",
  );
  assert(!finished);
  conn.close();
  await stopping;
  assert(finished);
});
