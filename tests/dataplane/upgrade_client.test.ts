/**
 * The backend side of an upgrade: outside `runUpgrade` the wrapped client is
 * used unchanged; inside, the request goes out with `Connection: upgrade`,
 * a 101 becomes a stand-in answer that leads back to the backend connection
 * (bytes the backend sent after its head included), and a refusal comes
 * back with its body, whatever its framing. Backends are raw loopback
 * sockets that answer what each test scripts.
 */
import { assert, assertEquals, assertRejects } from "@std/assert";
import {
  runUpgrade,
  takeUpgraded,
  upgradeAwareClient,
} from "../../src/dataplane/upgrade_client.ts";
import type { ProxyClient } from "../../src/dataplane/upstream_client.ts";
import { UpstreamError, type UpstreamRequest } from "../../src/dataplane/upstream_types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A backend that reads one request head, records it, and writes `answer`. */
function scriptedBackend(answer: string) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const heads: string[] = [];
  const done = (async () => {
    const conn = await listener.accept();
    listener.close();
    let text = "";
    const buf = new Uint8Array(4096);
    while (!text.includes("\r\n\r\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += decoder.decode(buf.subarray(0, n));
    }
    heads.push(text);
    if (answer !== "") await conn.write(encoder.encode(answer));
    return conn;
  })();
  return { port: (listener.addr as Deno.NetAddr).port, heads, done };
}

const inner: ProxyClient = {
  request: () => Promise.resolve({ status: 299, headers: [], body: null, contentLength: null }),
  stats: () => ({}) as ReturnType<ProxyClient["stats"]>,
  close() {},
};

const request = (): UpstreamRequest => ({
  method: "GET",
  target: "/chat",
  headers: ["host", "a.example", "sec-websocket-key", "k"],
  body: null,
  contentLength: null,
});

/** A WebSocket upgrade request through the upgrade-aware client to the backend on `port`. */
function upgradeRequest(port: number) {
  const client = upgradeAwareClient(inner);
  return runUpgrade(
    "websocket",
    () => client.request("http", { address: "127.0.0.1", port }, request(), { timeoutMs: 10_000 }),
  );
}

Deno.test("outside an upgrade the wrapped client answers", async () => {
  const client = upgradeAwareClient(inner);
  const res = await client.request("http", { address: "127.0.0.1", port: 1 }, request(), {
    timeoutMs: 0,
  });
  assertEquals(res.status, 299);
});

Deno.test("a 101 is a stand-in answer leading to the backend connection and its early bytes", async () => {
  const backend = scriptedBackend(
    "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: WebSocket\r\n" +
      "Sec-WebSocket-Accept: x\r\n\r\nhello",
  );
  const res = await upgradeRequest(backend.port);
  assertEquals(res.status, 200);
  assertEquals(res.headers, [["sec-websocket-accept", "x"]]);
  const head = backend.heads[0].toLowerCase();
  assert(head.startsWith("get /chat http/1.1\r\n"), head);
  assert(head.includes("connection: upgrade\r\n") && head.includes("upgrade: websocket\r\n"));
  const upgraded = takeUpgraded(new Response(res.body as ReadableStream<Uint8Array>))!;
  assertEquals(upgraded.upgrade, "WebSocket");
  // The early bytes were read with the head, or are still on the connection.
  let early = upgraded.leftover === null ? "" : decoder.decode(upgraded.leftover);
  const buf = new Uint8Array(16);
  while (early.length < 5) {
    const n = await upgraded.conn.read(buf);
    assert(n !== null);
    early += decoder.decode(buf.subarray(0, n));
  }
  assertEquals(early, "hello");
  upgraded.conn.close();
  (await backend.done).close();
  assertEquals(takeUpgraded(new Response("other")), undefined);
});

Deno.test("a refusal comes back with its chunked body, and the connection closes after it", async () => {
  const backend = scriptedBackend(
    "HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\nX-Why: no\r\n\r\n3\r\nnot\r\n4\r\n you\r\n0\r\n\r\n",
  );
  const res = await upgradeRequest(backend.port);
  assertEquals(res.status, 403);
  assertEquals(res.headers, [["x-why", "no"]]);
  assertEquals(await new Response(res.body as ReadableStream<Uint8Array>).text(), "not you");
  const conn = await backend.done;
  assertEquals(await conn.read(new Uint8Array(1)), null);
  conn.close();
});

/** The kind of the `UpstreamError` `call` fails with. */
async function failureKind(call: () => Promise<unknown>): Promise<string> {
  const error = await assertRejects(call, UpstreamError);
  return (error as UpstreamError).kind;
}

Deno.test("a backend that never answers the upgrade is a timeout; a closed port a connect error; h2c is refused", async () => {
  const silent = scriptedBackend("");
  const client = upgradeAwareClient(inner);
  const call = (port: number, protocol: "http" | "h2c" = "http") => () =>
    runUpgrade(
      "websocket",
      () => client.request(protocol, { address: "127.0.0.1", port }, request(), { timeoutMs: 200 }),
    );
  assertEquals(await failureKind(call(silent.port)), "timeout");
  (await silent.done).close();
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = (closed.addr as Deno.NetAddr).port;
  closed.close();
  assertEquals(await failureKind(call(closedPort)), "connect");
  assertEquals(await failureKind(call(closedPort, "h2c")), "protocol");
});
