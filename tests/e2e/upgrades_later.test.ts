/**
 * Upgrades on a later request of a kept-alive connection, through the real
 * process: a GET answered first, then an upgrade on the same connection; a
 * GET and an upgrade pipelined in one write; a chunked POST then an upgrade;
 * and the bounds a hostile client meets between requests (a huge head gets
 * the engine's refusal, a slow head the header timeout). Every wait is for
 * bytes or a close, never for time.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { freePort, startGateway } from "../_helpers/gateway_process.ts";
import { startRawUpgradeBackend, startWebSocketEcho } from "../_helpers/upgrade_backends.ts";
import { startEchoBackend } from "../../scripts/echo_backend.ts";
import { appServiceYaml, gatewayYaml, serviceYaml, writeManifests } from "./_manifests.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const ROUTES = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: later, namespace: default }
spec:
  parentRefs: [{ name: e2e }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /raw } }]
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier: { set: [{ name: x-route, value: raw }] }
      backendRefs: [{ name: raw, port: 80 }]
    - matches: [{ path: { type: PathPrefix, value: /ws } }]
      backendRefs: [{ name: ws, port: 80 }]
    - matches: [{ path: { type: PathPrefix, value: /plain } }]
      backendRefs: [{ name: plain, port: 80 }]
`;

async function setup(extra: string[] = []) {
  const ws = startWebSocketEcho();
  const raw = startRawUpgradeBackend();
  const echo = startEchoBackend({ name: "plain" });
  const dir = await Deno.makeTempDir({ prefix: "serval-e2e-upgrades-later-" });
  const port = freePort();
  await writeManifests(dir, {
    "all.yaml": [
      gatewayYaml(port),
      // The ws backend makes the port divert under the default `--upgrades auto`.
      appServiceYaml("ws", ws.port, "kubernetes.io/ws"),
      serviceYaml("raw", raw.port),
      serviceYaml("plain", echo.port),
      ROUTES,
    ].join("---\n"),
  });
  const gw = await startGateway({ manifests: dir, args: extra });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  return {
    gw,
    raw,
    conn,
    reader: new Reader(conn),
    async [Symbol.asyncDispose]() {
      try {
        conn.close();
      } catch {
        // The gateway closed it.
      }
      await gw.stop();
      await ws.close();
      await raw.close();
      await echo.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Reads HTTP/1.1 answers (sized or chunked) and raw bytes off one connection. */
class Reader {
  readonly #conn: Deno.Conn;
  #text = "";
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }
  async #more(): Promise<boolean> {
    const buf = new Uint8Array(16 * 1024);
    const n = await this.#conn.read(buf).catch(() => null);
    if (n === null) return false;
    this.#text += decoder.decode(buf.subarray(0, n));
    return true;
  }
  /** The next `n` characters. */
  async take(n: number): Promise<string> {
    while (this.#text.length < n) assert(await this.#more(), "connection closed early");
    const out = this.#text.slice(0, n);
    this.#text = this.#text.slice(n);
    return out;
  }
  /** The next answer's head and body. */
  async answer(): Promise<{ head: string; body: string }> {
    while (!this.#text.includes("\r\n\r\n")) assert(await this.#more(), "no answer head");
    const end = this.#text.indexOf("\r\n\r\n");
    const head = this.#text.slice(0, end);
    this.#text = this.#text.slice(end + 4);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (length !== null) return { head, body: await this.take(Number(length[1])) };
    if (!/\r\ntransfer-encoding: *chunked/i.test(head)) return { head, body: "" };
    let body = "";
    for (;;) {
      while (!this.#text.includes("\r\n")) assert(await this.#more());
      const size = parseInt(this.#text.slice(0, this.#text.indexOf("\r\n")), 16);
      this.#text = this.#text.slice(this.#text.indexOf("\r\n") + 2);
      const chunk = await this.take(size + 2);
      if (size === 0) return { head, body };
      body += chunk.slice(0, size);
    }
  }
  /** Everything until the gateway closes the connection. */
  async rest(): Promise<string> {
    while (await this.#more());
    return this.#text;
  }
}

const upgradeFoo = (path: string) =>
  `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n`;

Deno.test("a GET answered, then an upgrade on the same connection: the upgrade is tunnelled with the route's filter", async () => {
  await using t = await setup();
  await t.conn.write(encoder.encode("GET /plain/first HTTP/1.1\r\nHost: a\r\n\r\n"));
  const first = await t.reader.answer();
  assert(first.head.startsWith("HTTP/1.1 200 "), first.head);
  assertEquals(JSON.parse(first.body).path, "/plain/first");
  await t.conn.write(encoder.encode(upgradeFoo("/raw") + "tunnel"));
  const switched = await t.reader.answer();
  assert(switched.head.startsWith("HTTP/1.1 101 "), switched.head);
  assertEquals(await t.reader.take(6), "TUNNEL");
  await t.conn.write(encoder.encode("both ways"));
  assertEquals(await t.reader.take(9), "BOTH WAYS");
  assertEquals(t.raw.requests[0]["x-route"], "raw");
});

Deno.test("a GET and an upgrade pipelined in one write: the GET is answered first, then the 101 and the tunnel", async () => {
  await using t = await setup();
  await t.conn.write(
    encoder.encode("GET /plain/a HTTP/1.1\r\nHost: a\r\n\r\n" + upgradeFoo("/raw") + "early"),
  );
  const first = await t.reader.answer();
  assertEquals(JSON.parse(first.body).path, "/plain/a");
  assert((await t.reader.answer()).head.startsWith("HTTP/1.1 101 "));
  assertEquals(await t.reader.take(5), "EARLY");
});

Deno.test("a POST with a chunked body, then an upgrade: the body reaches the backend whole and the upgrade is tunnelled", async () => {
  await using t = await setup();
  await t.conn.write(encoder.encode(
    "POST /plain/up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "4\r\nabcd\r\n6;x=y\r\nefghij\r\n0\r\n\r\n",
  ));
  const posted = await t.reader.answer();
  assert(posted.head.startsWith("HTTP/1.1 200 "), posted.head);
  assertEquals(JSON.parse(posted.body).method, "POST");
  await t.conn.write(encoder.encode(upgradeFoo("/raw/after-post") + "x"));
  assert((await t.reader.answer()).head.startsWith("HTTP/1.1 101 "));
  assertEquals(await t.reader.take(1), "X");
});

Deno.test("a huge head after a first request is held no further than 64 KiB: the engine refuses it (an answer, or a reset of the unread bytes) and the connection ends", async () => {
  await using t = await setup();
  await t.conn.write(encoder.encode("GET /plain/a HTTP/1.1\r\nHost: a\r\n\r\n"));
  await t.reader.answer();
  const huge = "GET /plain/b HTTP/1.1\r\nHost: a\r\nX-Big: " + "a".repeat(200 * 1024) + "\r\n\r\n";
  await t.conn.write(encoder.encode(huge)).catch(() => 0);
  const rest = await t.reader.rest();
  assert(rest === "" || /^HTTP\/1\.1 4(00|31) /.test(rest), rest.slice(0, 80));
});

Deno.test("a slow head after a first request is dropped at the header timeout", async () => {
  await using t = await setup(["--client-header-timeout", "1s"]);
  await t.conn.write(encoder.encode("GET /plain/a HTTP/1.1\r\nHost: a\r\n\r\n"));
  await t.reader.answer();
  await t.conn.write(encoder.encode("GET /plain/b HTTP/1.1\r\nHo"));
  assertEquals(await t.reader.rest(), "");
});

Deno.test("requests on a diverted connection keep their bodies and answers in order", async () => {
  await using t = await setup();
  const body = "x".repeat(100_000);
  await t.conn.write(encoder.encode(
    `POST /plain/big HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
      "GET /plain/next HTTP/1.1\r\nHost: a\r\n\r\n",
  ));
  const posted = await t.reader.answer();
  assertStringIncludes(posted.head, "200");
  assertEquals(JSON.parse(posted.body).path, "/plain/big");
  const next = await t.reader.answer();
  assertEquals(JSON.parse(next.body).path, "/plain/next");
});
