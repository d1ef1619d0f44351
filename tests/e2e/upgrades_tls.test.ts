/**
 * WebSocket and TLS through the real process: `kubernetes.io/wss` backends
 * (the upgrade request goes over TLS, verified as the BackendTLSPolicy says)
 * and `wss://` clients on HTTPS listeners. Every wait is for an event (a
 * message, a close, a log line), never for time.
 */
import { assert, assertEquals } from "@std/assert";
import { createTestCa, type TestCa } from "../_helpers/certs.ts";
import { freePort, startGateway } from "../_helpers/gateway_process.ts";
import { startWebSocketEcho, TestSocket } from "../_helpers/upgrade_backends.ts";
import { appServiceYaml, serviceYaml, tlsSecretYaml, writeManifests } from "./_manifests.ts";
import { startEchoBackend } from "../../scripts/echo_backend.ts";
import {
  assertTunnelOutlivesReload,
  assertTunnelOutlivesSigterm,
  readUntilClosed,
} from "./_upgrade_checks.ts";
import { connectTlsWithServerName } from "../../src/dataplane/tls_server.ts";
import { curlHttps, httpOverTls } from "../dataplane/tls_test_client.ts";

/**
 * Two HTTPS listeners on one port (the `node:tls` server reports each
 * connection's SNI), or one (`single`: Deno's TLS listener on the public socket).
 */
function gatewayYaml(httpPort: number, httpsPort: number, single: boolean, clientsCa = ""): string {
  // Client-certificate validation of the HTTPS port against the `clients-ca` ConfigMap.
  const frontend = `
  tls:
    frontend:
      default:
        validation:
          mode: AllowValidOnly
          caCertificateRefs: [{ group: "", kind: ConfigMap, name: clients-ca }]`;
  const second = `
    - name: second
      protocol: HTTPS
      port: ${httpsPort}
      hostname: second.example.com
      tls: { certificateRefs: [{ name: app-cert }] }`;
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: serval }
spec: { controllerName: gateway.serval.dev/controller }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: e2e, namespace: default }
spec:
  gatewayClassName: serval${clientsCa === "" ? "" : frontend}
  listeners:
    - { name: http, protocol: HTTP, port: ${httpPort} }
    - name: https
      protocol: HTTPS
      port: ${httpsPort}
      hostname: localhost
      tls: { certificateRefs: [{ name: app-cert }] }${single ? "" : second}
${
    clientsCa === "" ? "" : `---
apiVersion: v1
kind: ConfigMap
metadata: { name: clients-ca, namespace: default }
data: { ca.crt: ${JSON.stringify(clientsCa)} }
`
  }`;
}

const routesYaml = (plain = "plain") =>
  `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: chat, namespace: default }
spec:
  parentRefs: [{ name: e2e }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /wss } }]
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier: { set: [{ name: x-route, value: wss }] }
      backendRefs: [{ name: secure, port: 80 }]
    - matches: [{ path: { type: PathPrefix, value: /ws } }]
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier: { set: [{ name: x-route, value: ws }] }
      backendRefs: [{ name: ${plain}, port: 80 }]
    - matches: [{ path: { type: PathPrefix, value: /echo } }]
      backendRefs: [{ name: echo, port: 80 }]
`;

function policyYaml(ca: string): string {
  return `apiVersion: v1
kind: ConfigMap
metadata: { name: backend-ca, namespace: default }
data:
  ca.crt: ${JSON.stringify(ca)}
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: { name: secure, namespace: default }
spec:
  targetRefs: [{ group: "", kind: Service, name: secure }]
  validation:
    hostname: chat.backend.example.com
    caCertificateRefs: [{ group: "", kind: ConfigMap, name: backend-ca }]
`;
}

const encoder = new TextEncoder();

/** The gateway, a wss backend (its certificate from `backendCa`) and a ws one. */
/** curl over HTTP/2 (ALPN) to `localhost` on `port`, trusting `ca`: the answer is an HTTP/2 200. */
async function assertServesH2(port: number, ca: TestCa): Promise<void> {
  const h2 = await curlHttps({
    port,
    caFile: `${ca.dir}/ca.crt`,
    names: ["localhost"],
    args: [
      "--http2",
      "-o",
      "/dev/null",
      "-w",
      "%{http_version} %{http_code}",
      "https://localhost:PORT/echo/h2",
    ],
  });
  assertEquals(h2.stdout, "2 200", h2.stderr);
}

/** A TLS connection to `localhost` on `port`, trusting `ca`, that offers only HTTP/1.1 by ALPN. */
function connectHttp1(port: number, ca: TestCa): Promise<Deno.TlsConn> {
  return connectTlsWithServerName({
    hostname: "127.0.0.1",
    port,
    serverName: "localhost",
    caCerts: [ca.certPem],
    alpnProtocols: ["http/1.1"],
  });
}

async function setup(
  ca: TestCa,
  extra: string[] = [],
  backendCa = ca,
  single = false,
  clients?: { caPem: string; cert: string; key: string },
) {
  const backendLeaf = await backendCa.issue(["chat.backend.example.com"]);
  const appLeaf = await ca.issue(["localhost"]);
  const secure = startWebSocketEcho({ cert: backendLeaf.certPem, key: backendLeaf.keyPem });
  const plain = startWebSocketEcho();
  const other = startWebSocketEcho();
  const echo = startEchoBackend({ name: "echo" });
  const dir = await Deno.makeTempDir({ prefix: "serval-e2e-upgrades-tls-" });
  const [httpPort, httpsPort] = [freePort(), freePort()];
  const write = (plainService: string) =>
    writeManifests(dir, {
      "all.yaml": [
        gatewayYaml(httpPort, httpsPort, single, clients?.caPem),
        tlsSecretYaml("app-cert", appLeaf.certPem, appLeaf.keyPem),
        appServiceYaml("secure", secure.port, "kubernetes.io/wss"),
        appServiceYaml("plain", plain.port, "kubernetes.io/ws"),
        appServiceYaml("other", other.port, "kubernetes.io/ws"),
        serviceYaml("echo", echo.port),
        policyYaml(ca.certPem),
        routesYaml(plainService),
      ].join("---\n"),
    });
  await write("plain");
  const gw = await startGateway({ manifests: dir, args: extra });
  const client = Deno.createHttpClient({
    caCerts: [ca.certPem],
    ...(clients === undefined ? {} : { cert: clients.cert, key: clients.key }),
  });
  return {
    gw,
    httpPort,
    httpsPort,
    secure,
    plain,
    other,
    client,
    write,
    /** A WebSocket to `path` through the HTTPS listener. */
    wss: (path: string, protocols?: string[]) =>
      new TestSocket(`wss://localhost:${httpsPort}${path}`, protocols, client),
    async [Symbol.asyncDispose]() {
      client.close();
      await gw.stop();
      await secure.close();
      await plain.close();
      await other.close();
      await echo.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("a kubernetes.io/wss backend: the upgrade goes over TLS verified by its BackendTLSPolicy, echo both ways", async () => {
  await using ca = await createTestCa("wss CA");
  await using t = await setup(ca);
  const socket = new TestSocket(`ws://127.0.0.1:${t.httpPort}/wss/chat`, ["chat.v1"]);
  await socket.opened;
  assertEquals(socket.ws.protocol, "chat.v1");
  assertEquals(await socket.echo("over TLS"), "over TLS");
  const binary = await socket.echo(new Uint8Array([9, 8, 7]));
  assertEquals([...new Uint8Array(binary as ArrayBuffer)], [9, 8, 7]);
  const seen = JSON.parse(await socket.echo("headers") as string);
  assertEquals(seen["x-route"], "wss");
  assertEquals(t.secure.requests.length, 1);
  socket.ws.close(4002, "done");
  assertEquals((await socket.closed).code, 4002);
});

Deno.test("a kubernetes.io/wss backend whose certificate the policy's CA did not issue: the upgrade fails with 502", async () => {
  await using ca = await createTestCa("wss CA");
  await using other = await createTestCa("untrusted CA");
  await using t = await setup(ca, [], other);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: t.httpPort });
  await conn.write(encoder.encode(
    "GET /wss HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
  ));
  const answer = await readUntilClosed(conn);
  assert(answer.startsWith("HTTP/1.1 502 "), answer);
  assertEquals(t.secure.requests.length, 0);
  conn.close();
});

Deno.test("wss:// through an HTTPS listener to a kubernetes.io/ws backend: echo both ways, the route's filter and X-Forwarded-Proto https", async () => {
  await using ca = await createTestCa("wss CA");
  await using t = await setup(ca);
  const socket = t.wss("/ws/chat", ["chat.v2"]);
  await socket.opened;
  assertEquals(socket.ws.protocol, "chat.v2");
  assertEquals(await socket.echo("through TLS"), "through TLS");
  const binary = await socket.echo(new Uint8Array([1, 2, 3]));
  assertEquals([...new Uint8Array(binary as ArrayBuffer)], [1, 2, 3]);
  const seen = JSON.parse(await socket.echo("headers") as string);
  assertEquals(seen["x-route"], "ws");
  assertEquals(seen["x-forwarded-proto"], "https");
  assertEquals(seen["x-forwarded-for"], "127.0.0.1");
  socket.ws.close(4003, "done");
  assertEquals((await socket.closed).code, 4003);
});

Deno.test("wss:// through an HTTPS listener to a kubernetes.io/wss backend: TLS on both sides", async () => {
  await using ca = await createTestCa("wss CA");
  await using t = await setup(ca);
  const socket = t.wss("/wss");
  await socket.opened;
  assertEquals(await socket.echo("both sides"), "both sides");
  socket.ws.close();
  await socket.closed;
});

Deno.test("an HTTPS port that passes upgrades still serves h2 (ALPN) and HTTP/1.1 requests, and an upgrade later on a kept-alive connection", async () => {
  await using ca = await createTestCa("wss CA");
  await using t = await setup(ca);
  await assertServesH2(t.httpsPort, ca);
  const conn = await connectHttp1(t.httpsPort, ca);
  try {
    const first = await httpOverTls(conn, { host: "localhost", path: "/echo/one" });
    assertEquals(first.status, 200);
    assertEquals(JSON.parse(first.body).path, "/echo/one");
    const refused = await httpOverTls(conn, {
      host: "localhost",
      path: "/ws",
      headers: { connection: "upgrade", upgrade: "websocket", "x-refuse": "1" },
    });
    // The backend's refusal is passed back, so the upgrade reached it.
    assertEquals(refused.status, 426);
    assertEquals(refused.body, "upgrade refused\n");
  } finally {
    conn.close();
  }
});

Deno.test("an upgrade whose Host is another listener's than the one the connection's SNI selected gets 421, as any request on the port", async () => {
  await using ca = await createTestCa("wss CA");
  await using t = await setup(ca);
  const conn = await connectHttp1(t.httpsPort, ca);
  try {
    const misdirected = await httpOverTls(conn, {
      host: "second.example.com",
      path: "/ws",
      headers: { connection: "upgrade", upgrade: "websocket" },
    });
    assertEquals(misdirected.status, 421);
    assertEquals(t.plain.requests.length, 0);
  } finally {
    conn.close();
  }
});

Deno.test("a wss:// tunnel outlives a reload that sends its route elsewhere", async () => {
  await using ca = await createTestCa("wss CA");
  await using t = await setup(ca);
  await assertTunnelOutlivesReload(t.gw, t.wss("/ws"), () => t.write("other"), "other");
  assertEquals(t.other.requests.length, 0);
});

Deno.test("SIGTERM: a wss:// tunnel keeps working, then closes when the shutdown timeout ends", async () => {
  await using ca = await createTestCa("wss CA");
  await using t = await setup(ca, ["--drain-delay", "0s", "--shutdown-timeout", "2s"]);
  await assertTunnelOutlivesSigterm(t.gw, t.wss("/ws"));
});

Deno.test("wss:// on an HTTPS port of one listener (no ClientHello relay): echo, and h2 still served", async () => {
  await using ca = await createTestCa("wss CA");
  await using t = await setup(ca, [], ca, true);
  const socket = t.wss("/ws");
  await socket.opened;
  assertEquals(await socket.echo("one listener"), "one listener");
  const seen = JSON.parse(await socket.echo("headers") as string);
  assertEquals(seen["x-forwarded-for"], "127.0.0.1");
  socket.ws.close();
  await socket.closed;
  await assertServesH2(t.httpsPort, ca);
});

Deno.test("wss:// on an HTTPS port whose listener validates client certificates (its public TLS server asks for them): a client with one its CA signed gets its tunnel, one without none", async () => {
  await using ca = await createTestCa("wss CA");
  await using clientsCa = await createTestCa("wss clients CA");
  const identity = await clientsCa.issue([], { commonName: "wss client", clientAuth: true });
  await using t = await setup(ca, [], ca, true, {
    caPem: clientsCa.certPem,
    cert: identity.certPem,
    key: identity.keyPem,
  });
  const socket = t.wss("/ws");
  await socket.opened;
  assertEquals(await socket.echo("validated"), "validated");
  socket.ws.close();
  await socket.closed;
  using anonymous = Deno.createHttpClient({ caCerts: [ca.certPem] });
  const refused = new TestSocket(`wss://localhost:${t.httpsPort}/ws`, undefined, anonymous);
  let failed = false;
  await refused.opened.catch(() => failed = true);
  assert(failed, "a client without a certificate opened a tunnel");
});
