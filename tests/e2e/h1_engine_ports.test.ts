/**
 * `--http1-engine own` on the ports whose HTTP/1.1 connections do not reach
 * the port's engine directly: a cleartext port that mixes GRPCRoutes with
 * HTTPRoutes (its first bytes were read to look for the HTTP/2 preface), and
 * ports whose connections are diverted to pass upgrades through (relayed to
 * an engine on loopback), plain and HTTPS. Each must be served by our
 * HTTP/1.1 server too. What tells the engines apart from outside: a 40 KB
 * field gets our server's 431 (32 KiB heads), where Deno's engine takes it.
 */
import { assert, assertEquals } from "@std/assert";
import { createTestCa } from "../_helpers/certs.ts";
import { startEchoBackend } from "../_helpers/echo_backend.ts";
import { freePorts, startGateway } from "../_helpers/gateway_process.ts";
import { grpcCall, startGrpcBackend } from "../_helpers/grpc_peer.ts";
import { classAndGatewayYaml, httpsListener } from "../../scripts/manifests.ts";
import { startWebSocketEcho } from "../_helpers/upgrade_backends.ts";
import {
  appServiceYaml,
  grpcServiceYaml,
  serviceYaml,
  tlsSecretYaml,
  writeManifests,
} from "./_manifests.ts";

const HOST = "Host: web.example.com\r\n";
const BIG_FIELD = `X-Big: ${"v".repeat(40_000)}\r\n`;

/** Writes `text` on `conn`, reads until the gateway closes it, returns the statuses. */
async function exchange(conn: Deno.Conn, text: string): Promise<string[]> {
  try {
    await conn.write(new TextEncoder().encode(text));
    let out = "";
    const buf = new Uint8Array(64 * 1024);
    for (;;) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      out += new TextDecoder().decode(buf.subarray(0, n));
    }
    return [...out.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]);
  } finally {
    conn.close();
  }
}

const plain = (port: number) => Deno.connect({ hostname: "127.0.0.1", port });

/** A big head refused by our server; then, on a new connection, a request served. */
async function servedByOwnEngine(connect: () => Promise<Deno.Conn>): Promise<void> {
  assertEquals(await exchange(await connect(), `GET /big HTTP/1.1\r\n${HOST}${BIG_FIELD}\r\n`), [
    "431",
  ]);
  assertEquals(
    await exchange(
      await connect(),
      `GET /a HTTP/1.1\r\n${HOST}\r\nGET /b HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`,
    ),
    ["200", "200"],
  );
}

/**
 * GRPCRoute `calls` on the listener `mixed` only; HTTPRoute `pages` on every
 * listener; HTTPRoute `sockets` (any host, `/ws`) on the listener `http`.
 */
const ROUTES = `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: calls, namespace: default }
spec:
  parentRefs: [{ name: e2e, sectionName: mixed }]
  hostnames: [grpc.example.com]
  rules:
  - matches: [{ method: { service: echo.Echo } }]
    backendRefs: [{ name: one, port: 8080 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: pages, namespace: default }
spec:
  parentRefs: [{ name: e2e }]
  hostnames: [web.example.com]
  rules:
  - backendRefs: [{ name: web, port: 80 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: sockets, namespace: default }
spec:
  parentRefs: [{ name: e2e, sectionName: http }]
  rules:
  - matches: [{ path: { type: PathPrefix, value: /ws } }]
    backendRefs: [{ name: ws, port: 80 }]
`;

Deno.test("--http1-engine own serves mixed gRPC ports and diverted ports too", async (t) => {
  await using one = await startGrpcBackend("one");
  await using web = startEchoBackend({ name: "web" });
  const ws = startWebSocketEcho();
  await using _ws = { [Symbol.asyncDispose]: () => ws.close() };
  await using ca = await createTestCa();
  const cert = await ca.issue(["web.example.com"]);
  const [mixedPort, plainPort, httpsPort, offPort] = freePorts(4);
  const manifests = async (listeners: string[]) => {
    const dir = await Deno.makeTempDir({ prefix: "serval-h1-ports-" });
    await writeManifests(dir, {
      "gateway.yaml": classAndGatewayYaml("e2e", listeners),
      "secret.yaml": tlsSecretYaml("web-cert", cert.certPem, cert.keyPem),
      "services.yaml": [
        grpcServiceYaml("one", one.port),
        serviceYaml("web", web.port),
        appServiceYaml("ws", ws.port, "kubernetes.io/ws"),
      ].join("---\n"),
      "routes.yaml": ROUTES,
    });
    return dir;
  };

  await t.step("with upgrades passed through: mixed, diverted plain and HTTPS ports", async () => {
    const dir = await manifests([
      `{ name: mixed, protocol: HTTP, port: ${mixedPort} }`,
      `{ name: http, protocol: HTTP, port: ${plainPort} }`,
      httpsListener("https", httpsPort, "web-cert", "web.example.com"),
    ]);
    await using _gw = await startGateway({
      manifests: dir,
      args: ["--http1-engine", "own", "--upgrades", "on"],
    });
    const call = await grpcCall(mixedPort, "grpc.example.com", "/echo.Echo/Say");
    assertEquals(call.trailers["grpc-status"], "0");
    await servedByOwnEngine(() => plain(mixedPort));
    await servedByOwnEngine(() => plain(plainPort));
    // SNI web.example.com over a connection to loopback.
    await servedByOwnEngine(async () =>
      Deno.startTls(await plain(httpsPort), {
        hostname: "web.example.com",
        caCerts: [ca.certPem],
        alpnProtocols: ["http/1.1"],
      })
    );
    // Upgrades are still taken out before the engine and tunnelled.
    const socket = new WebSocket(`ws://127.0.0.1:${plainPort}/ws`);
    const echoed = new Promise<unknown>((resolve, reject) => {
      socket.onopen = () => socket.send("hello");
      socket.onmessage = (e) => resolve(e.data);
      socket.onerror = () => reject(new Error("Cannot open the WebSocket through the gateway"));
    });
    assertEquals(await echoed, "hello");
    const closed = new Promise((resolve) => socket.onclose = resolve);
    socket.close();
    await closed;
    assert(web.received().some((r) => r.target === "/a"));
    assert(!web.received().some((r) => r.target === "/big"), "no big head reached the backend");
    await Deno.remove(dir, { recursive: true });
  });

  await t.step("with --upgrades off: a mixed port", async () => {
    const dir = await manifests([`{ name: mixed, protocol: HTTP, port: ${offPort} }`]);
    await using _gw = await startGateway({
      manifests: dir,
      args: ["--http1-engine", "own", "--upgrades", "off"],
    });
    const call = await grpcCall(offPort, "grpc.example.com", "/echo.Echo/Say");
    assertEquals(call.trailers["grpc-status"], "0");
    await servedByOwnEngine(() => plain(offPort));
    await Deno.remove(dir, { recursive: true });
  });
});
