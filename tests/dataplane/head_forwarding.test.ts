/**
 * The backend's fields written from the client's head bytes
 * (`head_forwarding.ts`): the client's fields pass in the order sent unless
 * hop-by-hop, listed by its `Connection` or an untrusted address claim; a
 * route's modifiers change what one call forwards and never the client's
 * fields another call (a mirror's copy) reads.
 */
import { assertEquals } from "@std/assert";
import { forwardRequestFields, readHeadFields } from "../../src/dataplane/head_forwarding.ts";
import { parseRequestHead } from "../../src/dataplane/h1/h1_request_head.ts";
import type { HeaderModifierConfig } from "../../src/model/config.ts";

const encoder = new TextEncoder();

function clientOf(fields: string) {
  const text = `GET / HTTP/1.1\r\nHost: a.example\r\n${fields}\r\n`;
  const bytes = encoder.encode(text);
  const head = parseRequestHead(bytes, 0, text.indexOf("\r\n\r\n"), 100);
  return readHeadFields(head.fields, "drop");
}

function forward(client: ReturnType<typeof clientOf>, modifiers: HeaderModifierConfig[] = []) {
  const pairs = forwardRequestFields({
    client,
    modifiers,
    xffTrustedHops: 0,
    host: "a.example",
    clientIp: "10.0.0.1",
    scheme: "http",
    forwardedHost: "a.example",
  }).pairs();
  // The client's fields and the host, without the X-Forwarded-* the gateway adds.
  return pairs.filter((_, i, all) =>
    i % 2 === 0 ? !all[i].startsWith("x-forwarded-") : !all[i - 1].startsWith("x-forwarded-")
  );
}

const GATEWAY_HOST = ["host", "a.example"];

Deno.test("every client field passes in order when none is held back", () => {
  const client = clientOf("X-A: 1\r\nUser-Agent: t\r\nX-B: 2\r\n");
  assertEquals(forward(client), [...GATEWAY_HOST, "x-a", "1", "user-agent", "t", "x-b", "2"]);
  assertEquals(forward(client), [...GATEWAY_HOST, "x-a", "1", "user-agent", "t", "x-b", "2"]);
});

Deno.test("held-back fields anywhere leave the others in order", () => {
  const client = clientOf(
    "Keep-Alive: 5\r\nX-A: 1\r\nConnection: x-b\r\nX-B: 2\r\nX-Real-IP: 6.6.6.6\r\nX-C: 3\r\nTE: x\r\n",
  );
  assertEquals(forward(client), [...GATEWAY_HOST, "x-a", "1", "x-c", "3"]);
  const last = clientOf("X-A: 1\r\nForwarded: for=6.6.6.6\r\n");
  assertEquals(forward(last), [...GATEWAY_HOST, "x-a", "1"]);
});

Deno.test("a call's modifiers change its fields only: the next call forwards the client's as sent", () => {
  const client = clientOf("X-A: 1\r\nX-B: 2\r\nX-C: 3\r\n");
  const removeB: HeaderModifierConfig = {
    set: [{ name: "X-A", value: "9" }],
    add: [],
    remove: ["x-b"],
  };
  assertEquals(forward(client, [removeB]), [...GATEWAY_HOST, "x-c", "3", "x-a", "9"]);
  assertEquals(forward(client), [...GATEWAY_HOST, "x-a", "1", "x-b", "2", "x-c", "3"]);
  const held = clientOf("X-A: 1\r\nTE: x\r\nX-B: 2\r\n");
  assertEquals(forward(held, [removeB]), [...GATEWAY_HOST, "x-a", "9"]);
  assertEquals(forward(held), [...GATEWAY_HOST, "x-a", "1", "x-b", "2"]);
});

Deno.test("a head read again writes the client's lines as its first reading did, whichever fields a call keeps", () => {
  const head =
    "GET /w HTTP/1.1\r\nHost: a.example\r\nX-Keep: k\r\nUser-Agent: UA/1\r\nX-Drop: d\r\n";
  const text = `${head}\r\n`;
  const written = (offset: number, modifiers: HeaderModifierConfig[]) => {
    const buf = new Uint8Array(offset + text.length).fill(0x20);
    buf.set(encoder.encode(text), offset);
    const read = parseRequestHead(buf, offset, offset + text.indexOf("\r\n\r\n"), 100);
    const fields = forwardRequestFields({
      client: readHeadFields(read.fields, "drop"),
      modifiers,
      xffTrustedHops: 0,
      host: "a.example",
      clientIp: "10.0.0.1",
      scheme: "http",
      forwardedHost: "a.example",
    });
    const out = new Uint8Array(fields.byteLength());
    const end = fields.writeInto(out, 0);
    assertEquals(end, out.length);
    return new TextDecoder().decode(out).split("\r\n").filter((l) => !l.startsWith("x-forwarded-"));
  };
  const drop: HeaderModifierConfig = { set: [], add: [], remove: ["x-drop"] };
  const all = ["host: a.example", "x-keep: k", "user-agent: UA/1", "x-drop: d", ""];
  const dropped = ["host: a.example", "x-keep: k", "user-agent: UA/1", ""];
  for (let i = 0; i < 12; i++) {
    assertEquals(written(i % 3, i % 4 === 1 ? [drop] : []), i % 4 === 1 ? dropped : all, `${i}`);
  }
});
