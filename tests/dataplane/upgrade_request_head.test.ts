/**
 * A request head of an upgrade-aware connection: what counts as an upgrade
 * request (RFC 9110 §7.8: `Upgrade` plus `Connection: upgrade`, on HTTP/1.1).
 * How heads are held and passed on: `upgrade_framing.test.ts`.
 */
import { assertEquals } from "@std/assert";
import { findHeadEnd, parseUpgradeRequestHead } from "../../src/dataplane/upgrade_request_head.ts";

const encoder = new TextEncoder();

function parse(text: string) {
  const bytes = encoder.encode(text);
  return parseUpgradeRequestHead(bytes, findHeadEnd(bytes, bytes.length));
}

const WS = "GET /chat?room=1 HTTP/1.1\r\nHost: a.example\r\nConnection: keep-alive, Upgrade\r\n" +
  "Upgrade: websocket\r\nSec-WebSocket-Key: k\r\n\r\n";

Deno.test("a WebSocket handshake is an upgrade: method, target, Host, Upgrade and headers as sent", () => {
  const head = parse(WS)!;
  assertEquals(head.method, "GET");
  assertEquals(head.target, "/chat?room=1");
  assertEquals(head.host, "a.example");
  assertEquals(head.upgrade, "websocket");
  assertEquals(head.headers[2], ["Upgrade", "websocket"]);
  assertEquals(head.headers.length, 4);
});

Deno.test("any Upgrade token counts, on any method; h2c does not (the engine answers it)", () => {
  const foo = "POST /x HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: foo/2\r\n\r\n";
  assertEquals(parse(foo)?.upgrade, "foo/2");
  assertEquals(parse(foo.replace("foo/2", "h2c")), undefined);
});

Deno.test("no upgrade without both headers, on HTTP/1.0, or with a request body", () => {
  assertEquals(parse(WS.replace("keep-alive, Upgrade", "keep-alive")), undefined);
  assertEquals(parse(WS.replace("Upgrade: websocket\r\n", "")), undefined);
  assertEquals(parse(WS.replace("HTTP/1.1", "HTTP/1.0")), undefined);
  assertEquals(parse(WS.replace("\r\n\r\n", "\r\nContent-Length: 5\r\n\r\n")), undefined);
  assertEquals(parse(WS.replace("\r\n\r\n", "\r\nTransfer-Encoding: chunked\r\n\r\n")), undefined);
  assertEquals(
    parse(WS.replace("\r\n\r\n", "\r\nContent-Length: 0\r\n\r\n"))?.upgrade,
    "websocket",
  );
});

Deno.test("malformed heads are not upgrades: the engine answers them", () => {
  assertEquals(parse(WS.replace("GET /chat", "GET chat")), undefined);
  assertEquals(parse(WS.replace("GET /chat?room=1", "GET /a b")), undefined);
  assertEquals(parse(WS.replace("Host: a.example", "Host a.example")), undefined);
  assertEquals(parse(WS.replace("Host: a.example", " folded")), undefined);
  assertEquals(parse(WS.replace("Host: a.example", "Bad Name: x")), undefined);
  assertEquals(parse(WS.replace("Host: a.example", "Host: a\r\nHost: b")), undefined);
  assertEquals(parse(WS.replace("Upgrade: websocket", "Upgrade: a\r\nUpgrade: b")), undefined);
});
