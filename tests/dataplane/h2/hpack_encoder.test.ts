/**
 * The HPACK encoder: which representation it picks for each field, when it
 * Huffman-codes, how it announces table size changes, and random header
 * lists from a seeded generator that must decode back exactly.
 */
import { assertEquals, assertThrows } from "@std/assert";
import { HpackDecoder, HpackEncoder } from "../../../src/dataplane/h2/hpack.ts";
import { Prng } from "../../fuzz/_prng.ts";

type Field = [string, string];
const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

Deno.test("an exact static match is one indexed byte", () => {
  const encoder = new HpackEncoder();
  assertEquals(
    hex(encoder.encode([[":method", "POST"], [":scheme", "https"], [":path", "/"]])),
    "838784",
  );
  assertEquals(encoder.tableSize, 0);
});

Deno.test("a static name with a new value is a literal naming it by index, then one indexed byte", () => {
  const encoder = new HpackEncoder();
  const first = encoder.encode([["content-type", "application/grpc"]]);
  assertEquals(first[0], 0x40 | 31, "incremental indexing, name index 31");
  assertEquals(encoder.tableSize, "content-type".length + "application/grpc".length + 32);
  assertEquals(hex(encoder.encode([["content-type", "application/grpc"]])), "be");
});

Deno.test("a new name is written out, and later named by its dynamic index", () => {
  const encoder = new HpackEncoder();
  const decoder = new HpackDecoder();
  decoder.decode(encoder.encode([["grpc-accept-encoding", "gzip"]]));
  const block = encoder.encode([["grpc-accept-encoding", "identity"]]);
  assertEquals(block[0], 0x40 | 62, "literal with name index 62");
  assertEquals(decoder.decode(block), [["grpc-accept-encoding", "identity"]]);
  assertEquals(hex(encoder.encode([["grpc-accept-encoding", "gzip"]])), "bf");
});

Deno.test("credentials and cookies are never indexed, and never enter the table", () => {
  for (const name of ["authorization", "cookie", "set-cookie", "proxy-authorization"]) {
    const encoder = new HpackEncoder();
    const field: Field = [name, "secret-token-123"];
    const first = encoder.encode([field]);
    assertEquals(first[0] & 0xf0, 0x10, `${name}: never-indexed literal`);
    assertEquals(hex(encoder.encode([field])), hex(first), `${name}: still a literal`);
    assertEquals(encoder.tableSize, 0);
    assertEquals(new HpackDecoder().decode(first), [field]);
  }
});

Deno.test("fields that change on every message are literals without indexing", () => {
  const encoder = new HpackEncoder();
  const block = encoder.encode([["content-length", "1234"], ["date", "Mon, 30 Nov 2026"]]);
  assertEquals(block[0], 0x0f, "without indexing, name index 28 (15 + 13)");
  assertEquals(block[1], 28 - 15);
  assertEquals(encoder.tableSize, 0);
});

Deno.test("a date repeated over blocks is the same literal each time, and a new date is coded anew", () => {
  const encoder = new HpackEncoder();
  const decoder = new HpackDecoder();
  const first = "Tue, 01 Dec 2026 11:00:00 GMT";
  const next = "Tue, 01 Dec 2026 11:00:01 GMT";
  const blocks = [first, first, next, next, first].map((date) =>
    encoder.encode([[":status", "200"], ["date", date]])
  );
  assertEquals(hex(blocks[1]), hex(blocks[0]));
  assertEquals(hex(blocks[3]), hex(blocks[2]));
  assertEquals(hex(blocks[4]), hex(blocks[0]));
  assertEquals(blocks[0].length < first.length, true, "Huffman-coded");
  assertEquals(
    blocks.map((block) => decoder.decode(block)[1][1]),
    [first, first, next, next, first],
  );
  assertEquals(encoder.tableSize, 0, "never indexed");
});

Deno.test("a field over half the table is not indexed", () => {
  const encoder = new HpackEncoder();
  encoder.encode([["x-big", "v".repeat(2100)]]);
  assertEquals(encoder.tableSize, 0);
});

Deno.test("Huffman coding is used only when it is shorter", () => {
  const encoder = new HpackEncoder();
  const coded = encoder.encode([["x-a", "www.example.com"]]);
  assertEquals(
    coded[coded.length - 13] & 0x80,
    0x80,
    "15 characters in 12 bytes, Huffman flag set",
  );
  const raw = "\xfe\xfd\xfc\xfb";
  const block = encoder.encode([["x-b", raw]]);
  assertEquals(
    hex(block.subarray(block.length - 5)),
    "04fefdfcfb",
    "raw: Huffman would take longer",
  );
  assertEquals(new HpackDecoder().decode(block), [["x-b", raw]]);
});

Deno.test("a character above U+00FF is a TypeError; the next block empties both tables and they stay in step", () => {
  const encoder = new HpackEncoder();
  const decoder = new HpackDecoder();
  const kept: Field[] = [["x-kept", "sent before"]];
  decoder.decode(encoder.encode(kept));
  const bad: Field[] = [["x-first", "indexed before the bad field"], ["x-a", "caf\u20ac"]];
  assertThrows(() => encoder.encode(bad), TypeError, "U+20AC at 3");
  assertThrows(() => encoder.encode(new Map([["x-\u{1f600}", "v"]])), TypeError, "U+D83D");
  assertEquals(encoder.tableSize, 0);
  const block = encoder.encode(kept);
  assertEquals(hex(block.subarray(0, 4)), "203fe11f", "size updates to 0, then back to 4096");
  assertEquals(decoder.decode(block), kept);
  assertEquals(decoder.tableSize, encoder.tableSize);
  assertEquals(decoder.decode(encoder.encode(bad.slice(0, 1))), bad.slice(0, 1));
});

Deno.test("a lowered table size is announced once, at the start of the next block", () => {
  const encoder = new HpackEncoder();
  encoder.setMaxTableSize(1000);
  assertEquals(hex(encoder.encode([[":method", "GET"]])), "3fc90782");
  assertEquals(hex(encoder.encode([[":method", "GET"]])), "82");
});

Deno.test("several changes between blocks announce the smallest, then the last (RFC 7541 §4.2)", () => {
  const encoder = new HpackEncoder();
  encoder.setMaxTableSize(0);
  encoder.setMaxTableSize(2048);
  assertEquals(hex(encoder.encode([])), "203fe10f");
  encoder.setMaxTableSize(100);
  encoder.setMaxTableSize(50);
  assertEquals(hex(encoder.encode([])), "3f13", "both lower: the last is the smallest");
});

Deno.test("the table we use is capped at 4096 bytes whatever the peer allows", () => {
  const encoder = new HpackEncoder();
  encoder.setMaxTableSize(1 << 20);
  assertEquals(hex(encoder.encode([[":method", "GET"]])), "82", "no change to announce");
  const small = new HpackEncoder(256);
  assertEquals(hex(small.encode([])), "3fe101", "a non-default start is announced");
});

Deno.test("size updates, evictions and both sides' limits stay in step over a sequence", () => {
  const encoder = new HpackEncoder();
  const decoder = new HpackDecoder();
  const list: Field[] = [["x-one", "a".repeat(60)], ["x-two", "b".repeat(60)], [":path", "/svc/M"]];
  for (const size of [4096, 200, 0, 150, 4096, 64, 4096]) {
    decoder.setMaxTableSize(size); // our SETTINGS, acknowledged
    encoder.setMaxTableSize(size); // the same SETTINGS, as the peer's encoder sees it
    for (let i = 0; i < 3; i++) {
      assertEquals(decoder.decode(encoder.encode(list)), list, `size ${size}, block ${i}`);
      assertEquals(decoder.tableSize, encoder.tableSize, `size ${size}, block ${i}`);
    }
  }
});

const NAMES = [
  ":path",
  ":authority",
  "content-type",
  "user-agent",
  "te",
  "grpc-timeout",
  "grpc-encoding",
  "authorization",
  "cookie",
  "content-length",
  "x-request-id",
  "accept-encoding",
  "cache-control",
];
const VALUES = ["", "0", "trailers", "application/grpc", "gzip, deflate", "/pkg.Service/Method"];

function randomText(rng: Prng, first: number, alphabet: (rng: Prng) => number): string {
  let out = "";
  const length = rng.chance(0.05) ? rng.range(100, 3000) : rng.range(first, 40);
  for (let i = 0; i < length; i++) out += String.fromCharCode(alphabet(rng));
  return out;
}

function randomField(rng: Prng): Field {
  const name = rng.chance(0.6)
    ? rng.pick(NAMES)
    : "x-" + randomText(rng, 1, (r) => r.range(0x61, 0x7a));
  if (rng.chance(0.4)) return [name, rng.pick(VALUES)];
  // Any octet but NUL, CR and LF, neither starting nor ending with white space.
  const value = randomText(rng, 0, (r) => r.pick([0x21, 0x7e, 0x80, 0xff, r.range(0x21, 0xff)]));
  return [name, value];
}

Deno.test("random header lists from a seeded generator decode back exactly, tables in step", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const rng = new Prng(seed);
    const encoder = new HpackEncoder();
    const decoder = new HpackDecoder({ maxHeaderListSize: 1 << 20 });
    for (let block = 0; block < 40; block++) {
      if (rng.chance(0.1)) {
        const size = rng.pick([0, 64, 256, 1000, 4096, 8192]);
        decoder.setMaxTableSize(size);
        encoder.setMaxTableSize(size);
      }
      const list = Array.from({ length: rng.range(0, 12) }, () => randomField(rng));
      assertEquals(decoder.decode(encoder.encode(list)), list, `seed ${seed}, block ${block}`);
      assertEquals(decoder.tableSize, encoder.tableSize, `seed ${seed}, block ${block}`);
    }
  }
});

Deno.test("encodeInto writes at the start of its buffer the block encode makes, table in step", () => {
  const lists: [string, string][][] = [
    [[":status", "200"], ["content-type", "text/plain"], ["x-long", "v".repeat(600)]],
    [[":status", "200"], ["content-type", "text/plain"], ["x-long", "v".repeat(600)]],
  ];
  const a = new HpackEncoder();
  const b = new HpackEncoder();
  for (const list of lists) {
    const block = a.encode(list);
    const length = b.encodeInto(list);
    assertEquals(b.encoded.subarray(0, length), block);
  }
});
