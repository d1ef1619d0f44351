/**
 * HTTP/1.1 upgrades through the real process: WebSocket to a
 * `kubernetes.io/ws` backend, a raw `Upgrade: foo`, a refused upgrade, a
 * tunnel that outlives a reload, SIGTERM with an open tunnel, the limit on
 * upgraded connections, its metric, and the idle timeout. Every wait is for
 * an event (a message, a close, a log line), never for time.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { freePort, startGateway } from "../_helpers/gateway_process.ts";
import {
  startRawUpgradeBackend,
  startWebSocketEcho,
  TestSocket,
} from "../_helpers/upgrade_backends.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { startEchoBackend } from "../../scripts/echo_backend.ts";
import { appServiceYaml, client, gatewayYaml, serviceYaml, writeManifests } from "./_manifests.ts";
import {
  assertTunnelOutlivesReload,
  assertTunnelOutlivesSigterm,
  readUntilClosed,
  waitForBackend,
} from "./_upgrade_checks.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function routesYaml(wsService: string, plainService: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ws, namespace: default }
spec:
  parentRefs: [{ name: e2e }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /ws } }]
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier: { set: [{ name: x-route, value: ws }] }
      backendRefs: [{ name: ${wsService}, port: 80 }]
    - matches: [{ path: { type: PathPrefix, value: /plain } }]
      backendRefs: [{ name: ${plainService}, port: 80 }]
`;
}

async function setup(extra: string[] = []) {
  const ws = startWebSocketEcho();
  const echo = startEchoBackend({ name: "plain" });
  const raw = startRawUpgradeBackend();
  const dir = await Deno.makeTempDir({ prefix: "serval-e2e-upgrades-" });
  const port = freePort();
  const write = (wsService: string) =>
    writeManifests(dir, {
      "all.yaml": [
        gatewayYaml(port),
        appServiceYaml("ws", ws.port, "kubernetes.io/ws"),
        serviceYaml("raw", raw.port),
        serviceYaml("plain", echo.port),
        routesYaml(wsService, "plain"),
      ].join("---\n"),
    });
  await write("ws");
  const gw = await startGateway({ manifests: dir, args: extra });
  return {
    gw,
    port,
    ws,
    raw,
    write,
    async [Symbol.asyncDispose]() {
      await gw.stop();
      await ws.close();
      await raw.close();
      await echo.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Sends `head` on a new connection; returns the answer's head, body so far and the connection. */
async function rawExchange(port: number, head: string) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(encoder.encode(head));
  let text = "";
  const buf = new Uint8Array(16 * 1024);
  while (!text.includes("\r\n\r\n")) {
    const n = await conn.read(buf);
    if (n === null) break;
    text += decoder.decode(buf.subarray(0, n));
  }
  const at = text.indexOf("\r\n\r\n");
  return { conn, head: text.slice(0, at), rest: text.slice(at + 4), buf };
}

Deno.test("WebSocket to a kubernetes.io/ws backend: text, binary and subprotocol pass, the route's filter applies, plain requests on the port still work", async () => {
  await using t = await setup();
  const socket = new TestSocket(`ws://127.0.0.1:${t.port}/ws/chat`, ["chat.v2", "chat.v1"]);
  await socket.opened;
  assertEquals(socket.ws.protocol, "chat.v2");
  assertEquals(await socket.echo("Websocket Support!"), "Websocket Support!");
  const binary = await socket.echo(new Uint8Array([1, 2, 3, 4, 5, 6, 7]));
  assertEquals([...new Uint8Array(binary as ArrayBuffer)], [1, 2, 3, 4, 5, 6, 7]);
  const seen = JSON.parse(await socket.echo("headers") as string);
  assertEquals(seen["x-route"], "ws");
  assertEquals(seen["x-forwarded-for"], "127.0.0.1");
  const metrics = await (await t.gw.admin("/metrics")).text();
  assertStringIncludes(metrics, "serval_upgraded_connections 1");
  socket.ws.close(4001, "done");
  assertEquals((await socket.closed).code, 4001);

  const res = await fetch(`http://127.0.0.1:${t.port}/plain/x`, { client });
  assertEquals(res.status, 200);
  assertEquals((await res.json()).path, "/plain/x");
  await waitFor("the tunnel counted as closed", async () => {
    const text = await (await t.gw.admin("/metrics")).text();
    return text.includes("serval_upgraded_connections 0") &&
      text.includes('serval_upgraded_connections_closed_total{why="closed"} 1');
  });
});

Deno.test("a refused upgrade passes the backend's answer through, body included", async () => {
  await using t = await setup();
  const { conn, head, rest } = await rawExchange(
    t.port,
    "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Refuse: 1\r\n\r\n",
  );
  assert(head.startsWith("HTTP/1.1 426 "), head);
  assertStringIncludes(head.toLowerCase(), "x-backend: ws");
  assertEquals(await readUntilClosed(conn, rest), "upgrade refused\n");
  conn.close();
});

Deno.test("--upgrades on: a raw Upgrade: foo is spliced both ways, bytes sent early included", async () => {
  await using t = await setup(["--upgrades", "on"]);
  // The raw backend has no route of its own: point /ws at it.
  await t.write("raw");
  await waitForBackend(t.gw, "raw");
  const { conn, head, rest } = await rawExchange(
    t.port,
    "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\nearly ",
  );
  assert(head.startsWith("HTTP/1.1 101 "), head);
  assertStringIncludes(head.toLowerCase(), "upgrade: foo");
  let text = rest;
  const buf = new Uint8Array(1024);
  while (text.length < "EARLY ".length) {
    const n = await conn.read(buf);
    assert(n !== null);
    text += decoder.decode(buf.subarray(0, n));
  }
  await conn.write(encoder.encode("and more"));
  while (text.length < "EARLY AND MORE".length) {
    const n = await conn.read(buf);
    assert(n !== null);
    text += decoder.decode(buf.subarray(0, n));
  }
  assertEquals(text, "EARLY AND MORE");
  assertEquals(t.raw.requests[0]["x-route"], "ws");
  conn.close();
});

Deno.test("an open tunnel outlives a reload that sends its route elsewhere", async () => {
  await using t = await setup();
  const socket = new TestSocket(`ws://127.0.0.1:${t.port}/ws`);
  await assertTunnelOutlivesReload(t.gw, socket, () => t.write("raw"), "raw");
});

Deno.test("SIGTERM: an open tunnel keeps working, then closes when the shutdown timeout ends", async () => {
  await using t = await setup(["--drain-delay", "0s", "--shutdown-timeout", "2s"]);
  await assertTunnelOutlivesSigterm(t.gw, new TestSocket(`ws://127.0.0.1:${t.port}/ws`));
});

Deno.test("--max-upgraded-connections 1: a second upgrade gets 503 while the first is open", async () => {
  await using t = await setup(["--max-upgraded-connections", "1"]);
  const first = new TestSocket(`ws://127.0.0.1:${t.port}/ws`);
  await first.opened;
  const { conn, head, rest } = await rawExchange(
    t.port,
    "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
  );
  assert(head.startsWith("HTTP/1.1 503 "), head);
  assertEquals(await readUntilClosed(conn, rest), "Too many upgraded connections\n");
  conn.close();
  assertEquals(await first.echo("first still works"), "first still works");
  first.ws.close();
  await first.closed;
});

Deno.test("--upgrade-idle-timeout: a quiet tunnel is closed and counted as idle", async () => {
  await using t = await setup(["--upgrade-idle-timeout", "1s"]);
  const socket = new TestSocket(`ws://127.0.0.1:${t.port}/ws`);
  await socket.opened;
  assertEquals(await socket.echo("then quiet"), "then quiet");
  await socket.closed;
  await waitFor("the idle close counted", async () => {
    const text = await (await t.gw.admin("/metrics")).text();
    return text.includes('serval_upgraded_connections_closed_total{why="idle"} 1');
  });
});

Deno.test("--upgrades auto: a port whose routes reach no kubernetes.io/ws backend is not diverted (an Upgrade is forwarded as a plain request)", async () => {
  await using t = await setup();
  await t.write("raw");
  await waitForBackend(t.gw, "raw");
  const { conn, head } = await rawExchange(
    t.port,
    "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n",
  );
  // The engine forwards without the upgrade headers; the raw backend's 101 anyway is refused.
  assert(head.startsWith("HTTP/1.1 502 "), head);
  assertEquals(t.raw.requests[0].upgrade, undefined);
  conn.close();
});

Deno.test("--workers 2: WebSocket passes through a worker, and its tunnel is in the metrics", async () => {
  await using t = await setup(["--workers", "2"]);
  const socket = new TestSocket(`ws://127.0.0.1:${t.port}/ws`);
  await socket.opened;
  assertEquals(await socket.echo("from a worker"), "from a worker");
  await waitFor("the tunnel in the metrics", async () => {
    const text = await (await t.gw.admin("/metrics")).text();
    return text.includes("serval_upgraded_connections 1");
  });
  socket.ws.close();
  await socket.closed;
});

Deno.test("a diverting port drops a client that sends no complete head within the header timeout", async () => {
  await using t = await setup(["--client-header-timeout", "1s"]);
  const silent = await Deno.connect({ hostname: "127.0.0.1", port: t.port });
  const partial = await Deno.connect({ hostname: "127.0.0.1", port: t.port });
  await partial.write(encoder.encode("GET /ws HTTP/1.1\r\nHost: a\r\nUpgr"));
  assertEquals(await readUntilClosed(silent, ""), "");
  assertEquals(await readUntilClosed(partial, ""), "");
  silent.close();
  partial.close();
  const res = await fetch(`http://127.0.0.1:${t.port}/plain/after`, { client });
  assertEquals(res.status, 200);
  await res.body?.cancel();
});
