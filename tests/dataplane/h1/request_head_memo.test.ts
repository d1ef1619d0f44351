/**
 * Request heads read again from the memo of heads read before
 * (`h1_request_head.ts` over `head_memo.ts`): only a head with the very
 * same bytes is taken from it, wherever its bytes lie, and it reads as a
 * fresh reading of them would; a head one byte apart is read on its own, a
 * malformed one or one over the field limit still refused, and each
 * reading's fields are its own (the Host an absolute target sets, the
 * buffer released).
 */
import { assertEquals, assertThrows } from "@std/assert";
import { H1RequestError, parseRequestHead } from "../../../src/dataplane/h1/h1_request_head.ts";
import { MISSES_TO_REPLACE } from "../../../src/dataplane/head_memo.ts";
import { bytesOf } from "./_h1_harness.ts";

/** What a reading of `head` at `offset` says, places counted from the head's start. */
function reading(head: string, offset: number, maxFields?: number) {
  const buf = new Uint8Array(offset + head.length + 5).fill(0x20);
  buf.set(bytesOf(head), offset);
  const read = parseRequestHead(buf, offset, offset + head.length, maxFields);
  const { fields, ...facts } = read;
  return {
    facts,
    places: fields.places.map((place) => place - offset),
    known: [...fields.known],
    host: fields.host,
    typed: fields.mayBeTyped,
    pairs: fields.pairs(),
    fields,
  };
}

const same = (a: ReturnType<typeof reading>) => ({ ...a, fields: undefined });

const HEAD = "GET /bench?a=1 HTTP/1.1\r\nHost: a.example:8080\r\nUser-Agent: h2load\r\n" +
  "X-Mine: one, two\r\nContent-Type: application/grpc\r\nTE: trailers\r\nConnection: keep-alive";

Deno.test("a request head read again at another place reads as its first reading", () => {
  const first = reading(HEAD, 0);
  assertEquals(first.facts.target, "/bench?a=1");
  assertEquals([first.facts.host, first.facts.trailers, first.facts.keepAlive], [
    "a.example:8080",
    true,
    true,
  ]);
  for (const offset of [0, 1, 3, 4, 77]) assertEquals(same(reading(HEAD, offset)), same(first));
});

Deno.test("a request head one byte apart is read on its own, wherever the byte is", () => {
  reading(HEAD, 0);
  const variants: [string, (r: ReturnType<typeof reading>) => unknown, unknown][] = [
    [HEAD.replace("GET", "PUT"), (r) => r.facts.method, "PUT"],
    [HEAD.replace("1.1", "1.0"), (r) => r.facts.minor, 0],
    [HEAD.replace("a=1", "a=2"), (r) => r.facts.target, "/bench?a=2"],
    [HEAD.replace("a.example", "b.example"), (r) => r.facts.host, "b.example:8080"],
    [HEAD.replace("TE: trailers", "TE: trailerz"), (r) => r.facts.trailers, false],
    [HEAD.replace("keep-alive", "keep-alivf"), (r) => r.facts.keepAlive, true],
    [HEAD.replace("keep-alive", "close, xyz"), (r) => r.facts.keepAlive, false],
    [HEAD.replace("Content-Type", "Content-Typf"), (r) => r.typed, true],
    [HEAD.replace("one, two", "one, twp"), (r) => r.pairs[2], ["x-mine", "one, twp"]],
  ];
  for (const [head, pick, expected] of variants) {
    for (const offset of [0, 2]) {
      assertEquals(pick(reading(head, offset)), expected, head);
      assertEquals(reading(HEAD, offset).pairs[2], ["x-mine", "one, two"]);
    }
  }
});

Deno.test("a malformed request head, or one over the field limit, is refused though one like it was read", () => {
  reading(HEAD, 0);
  const broken = HEAD.replace("User-Agent:", "User Agent:");
  assertEquals(broken.length, HEAD.length);
  assertThrows(() => reading(broken, 0), H1RequestError);
  // Read until the memo holds it, whatever its slot held (`MISSES_TO_REPLACE`).
  for (let i = 0; i <= MISSES_TO_REPLACE; i++) reading(HEAD, 1);
  const error = assertThrows(() => reading(HEAD, 1, 5), H1RequestError);
  assertEquals((error as H1RequestError).status, 431);
  assertEquals(reading(HEAD, 1, 6).facts.method, "GET");
});

Deno.test("each reading's fields are its own: an absolute target's Host and a release touch no other", () => {
  const absolute = "GET http://b.example/x HTTP/1.1\r\nHost: a.example\r\nX-A: 1";
  const first = reading(absolute, 0);
  first.fields.replaceHost("b.example");
  first.fields.release();
  const again = reading(absolute, 0);
  assertEquals([again.host, again.fields.get("host"), again.fields.get("x-a")], [
    "a.example",
    "a.example",
    "1",
  ]);
  assertEquals(first.fields.host, "b.example");
});
