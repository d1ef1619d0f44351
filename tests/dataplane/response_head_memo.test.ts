/**
 * Backend response heads read again from the memo of heads read before
 * (`response_head_memo.ts`): only a head with the very same bytes is taken
 * from it, wherever its bytes lie, and it reads as a fresh reading of
 * those bytes would (facts, places, strings, the client's field lines); a
 * head one byte apart is read on its own, a malformed one still refused.
 * Through the gateway, each answer reaches the client with its own fields.
 */
import { assertEquals, assertThrows } from "@std/assert";
import { readResponseHead } from "../../src/dataplane/upstream_head_parser.ts";
import { fieldLines, MEMO_HEAD_BYTES } from "../../src/dataplane/response_head_memo.ts";
import { UpstreamError } from "../../src/dataplane/upstream_types.ts";
import { askOnce, startByteRig } from "./_byte_backend.ts";
import { bytesOf } from "./h1/_h1_harness.ts";

const latin1 = new TextDecoder("latin1");

/** `head` at `offset` of a buffer of its own, with bytes around it. */
function placed(head: string, offset: number): Uint8Array {
  const buf = new Uint8Array(offset + head.length + 7).fill(0x41);
  buf.set(bytesOf(head), offset);
  return buf;
}

/** What a reading says, places counted from the head's start. */
function reading(head: string, offset: number) {
  const buf = placed(head, offset);
  const read = readResponseHead(buf, offset, offset + head.length);
  return {
    facts: [read.status, read.minor, read.contentLength, read.chunked, read.keepAlive, read.date],
    places: read.places.map((place) => place - offset),
    headers: read.headers,
    // What our server writes of the fields: the remembered lines, else a copy from the places.
    lines: latin1.decode(read.rememberedLines() ?? fieldLines(buf, read.places)),
    // The lines our server writes of the places, made from this buffer's bytes.
    fresh: latin1.decode(fieldLines(buf, read.places)),
  };
}

const HEAD = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Tue, 01 Dec 2026 21:09:47 GMT\r\n" +
  "Content-Type: text/plain\r\nContent-Length: 29\r\nConnection: keep-alive";

Deno.test("a head read again at another place reads as its first reading", () => {
  const first = reading(HEAD, 0);
  assertEquals(first.facts, [200, 1, 29, false, true, true]);
  assertEquals(
    first.lines,
    "server: nginx/1.22.1\r\ndate: Tue, 01 Dec 2026 21:09:47 GMT\r\ncontent-type: text/plain\r\n",
  );
  assertEquals(first.lines, first.fresh);
  for (const offset of [0, 1, 2, 3, 4, 13, 1000]) assertEquals(reading(HEAD, offset), first);
});

Deno.test("a head one byte apart from a remembered one is read on its own, wherever the byte is", () => {
  reading(HEAD, 0);
  const variants: [string, (r: ReturnType<typeof reading>) => unknown, unknown][] = [
    [HEAD.replace("Length: 29", "Length: 28"), (r) => r.facts[2], 28],
    [HEAD.replace("200 OK", "404 OK"), (r) => r.facts[0], 404],
    [HEAD.replace("HTTP/1.1", "HTTP/1.0"), (r) => r.facts[1], 0],
    // The last bytes, past the compare's last whole word.
    [HEAD.replace("keep-alive", "keep-alivf"), (r) => r.facts[4], true],
    [HEAD.slice(0, -1) + "E", (r) => r.facts[4], true],
    [HEAD.replace("Server: n", "Server: N"), (r) => r.headers[0], ["server", "Nginx/1.22.1"]],
    [HEAD.replace("Server", "SERVER"), (r) => r.lines.slice(0, 8), "server: "],
  ];
  for (const [head, pick, expected] of variants) {
    assertEquals(head.length, HEAD.length);
    for (const offset of [0, 5]) {
      const read = reading(head, offset);
      assertEquals(pick(read), expected, head);
      assertEquals(read.lines, read.fresh, head);
      // The head it differs from still reads as itself.
      assertEquals(reading(HEAD, offset).facts, [200, 1, 29, false, true, true]);
    }
  }
  // A head whose length is not a whole number of words: its last byte alone differs.
  const tailed = `${HEAD}\r\nX-Zeds: 1`;
  assertEquals(tailed.length % 4, 3);
  for (const [head, value] of [[tailed, "1"], [tailed.slice(0, -1) + "2", "2"]]) {
    const read = reading(head, 2);
    assertEquals(read.headers.at(-1), ["x-zeds", value]);
    assertEquals(read.lines.endsWith(`x-zeds: ${value}\r\n`), true, read.lines);
  }
  const closing = reading(HEAD.replace("keep-alive", "close     "), 0);
  assertEquals(closing.facts[4], false);
});

Deno.test("a malformed head as long as a remembered one is still refused", () => {
  reading(HEAD, 0);
  const broken = HEAD.replace("Content-Type:", "Content Type:");
  assertEquals(broken.length, HEAD.length);
  assertThrows(() => readResponseHead(placed(broken, 3), 3, 3 + broken.length), UpstreamError);
  assertThrows(
    () => readResponseHead(placed(broken.replace("\r\nDate", "\nXDate"), 0), 0, broken.length),
    UpstreamError,
  );
});

Deno.test("a head longer than the memo keeps is read every time, the same way", () => {
  const long = `${HEAD}\r\nX-Long: ${"v".repeat(MEMO_HEAD_BYTES)}`;
  const first = reading(long, 0);
  assertEquals(first.headers.at(-1), ["x-long", "v".repeat(MEMO_HEAD_BYTES)]);
  assertEquals(reading(long, 9), first);
});

Deno.test("through the gateway, answers whose heads differ by a byte each reach the client as sent", async () => {
  const head = (value: string) =>
    `HTTP/1.1 200 OK\r\nX-Value: ${value}\r\nDate: Tue, 01 Dec 2026 00:00:00 GMT\r\n` +
    "Content-Length: 2\r\n\r\nok";
  await using rig = startByteRig([head("1"), head("1"), head("2"), head("1")]);
  const GET = "GET /x HTTP/1.1\r\nhost: a.example\r\n\r\n";
  const seen: string[] = [];
  for (let i = 0; i < 4; i++) seen.push(/x-value: (\d)\r\n/.exec(await askOnce(rig.port, GET))![1]);
  assertEquals(seen, ["1", "1", "2", "1"]);
});
