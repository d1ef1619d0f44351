/**
 * The HPACK decoder against hostile input: each rule of RFC 7541 (and the
 * field rules of RFC 9113 §8.2.1) that a block can break, and what the
 * decoder does about it.
 */
import { assertEquals, assertInstanceOf, assertThrows } from "@std/assert";
import {
  HpackDecoder,
  HpackEncoder,
  HpackError,
  HpackFieldError,
} from "../../../src/dataplane/h2/hpack.ts";

const bytes = (...parts: (number | string)[]): Uint8Array =>
  Uint8Array.from(
    parts.flatMap((part) =>
      typeof part === "number" ? [part] : [...part].map((c) => c.charCodeAt(0))
    ),
  );

/** Asserts the block is refused as a connection error (not a field error). */
function refuses(block: Uint8Array, message: string, decoder = new HpackDecoder()): void {
  const error = assertThrows(() => decoder.decode(block), HpackError, message);
  assertEquals(error instanceof HpackFieldError, false, "a connection error, not a field error");
}

Deno.test("an integer above 2^31 - 1 is refused", () => {
  refuses(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0x0f), "above 2^31 - 1");
});

Deno.test("an integer with more than 5 continuation bytes is refused, even when they add zeros", () => {
  refuses(bytes(0xff, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00), "more than 5 continuation bytes");
});

Deno.test("an integer that the block cuts short is refused", () => {
  refuses(bytes(0xff), "ends inside an integer");
  refuses(bytes(0xff, 0x80), "ends inside an integer");
});

Deno.test("a string longer than the rest of the block is refused", () => {
  refuses(bytes(0x40, 0x05, "ab"), "runs past the block");
  refuses(bytes(0x04, 0x7f, 0x80, 0x01), "runs past the block");
});

Deno.test("a block that ends before a literal's string is refused", () => {
  refuses(bytes(0x40), "ends inside a string");
  refuses(bytes(0x44), "ends inside a string");
});

Deno.test("a Huffman string holding EOS is refused", () => {
  refuses(bytes(0x04, 0x84, 0xff, 0xff, 0xff, 0xff), "holds EOS");
});

Deno.test("Huffman padding longer than 7 bits is refused", () => {
  // "a" is 00011: 0x1f is "a" and three one bits of padding, fine; a whole 0xff more is not.
  assertEquals(new HpackDecoder().decode(bytes(0x04, 0x81, 0x1f)), [[":path", "a"]]);
  refuses(bytes(0x04, 0x82, 0x1f, 0xff), "padding is longer than 7 bits or not all ones");
});

Deno.test("Huffman padding that is not all ones is refused", () => {
  refuses(bytes(0x04, 0x81, 0x18), "padding is longer than 7 bits or not all ones");
});

Deno.test("index 0 of an indexed field is refused", () => {
  refuses(bytes(0x80), "index 0 is not allowed");
});

Deno.test("an index past the static and dynamic tables is refused", () => {
  refuses(bytes(0xbe), "index 62 is past the tables (61 entries)");
  refuses(bytes(0x7e, 0x00), "index 62 is past the tables");
  const decoder = new HpackDecoder();
  decoder.decode(bytes(0x40, 0x01, "a", 0x01, "b"));
  assertEquals(decoder.decode(bytes(0xbe)), [["a", "b"]]);
  refuses(bytes(0xbf), "index 63 is past the tables (62 entries)", decoder);
});

Deno.test("a table size update above our limit is refused; up to it, it applies", () => {
  refuses(bytes(0x3f, 0xe2, 0x1f), "4097 is above the limit of 4096");
  const decoder = new HpackDecoder();
  assertEquals(decoder.decode(bytes(0x20, 0x3f, 0xe1, 0x1f, 0x82)), [[":method", "GET"]]);
});

Deno.test("a table size update after a field is refused", () => {
  refuses(bytes(0x82, 0x20), "table size update after a field");
});

Deno.test("a table size update of 0 empties the table", () => {
  const decoder = new HpackDecoder();
  decoder.decode(bytes(0x40, 0x01, "a", 0x01, "b"));
  assertEquals(decoder.tableSize, 34);
  decoder.decode(bytes(0x20));
  assertEquals(decoder.tableSize, 0);
  refuses(bytes(0xbe), "index 62 is past the tables", decoder);
});

Deno.test("after our limit is lowered, the next block must start with a size update within it", () => {
  const decoder = new HpackDecoder();
  decoder.decode(bytes(0x40, 0x01, "a", 0x01, "b"));
  decoder.setMaxTableSize(16);
  assertEquals(decoder.tableSize, 0, "evicted at once");
  refuses(bytes(0x82), "table size update owed", decoder);
  refuses(bytes(), "table size update owed", decoder);
  refuses(bytes(0x31), "17 is above the limit of 16", decoder);
  assertEquals(decoder.decode(bytes(0x30, 0x82)), [[":method", "GET"]]);
  assertEquals(decoder.decode(bytes(0x82)), [[":method", "GET"]], "owed only once");
});

Deno.test("a raised limit owes nothing, and allows size updates up to it", () => {
  const decoder = new HpackDecoder();
  decoder.setMaxTableSize(8192);
  assertEquals(decoder.decode(bytes(0x82)), [[":method", "GET"]]);
  assertEquals(decoder.decode(bytes(0x3f, 0xe1, 0x3f, 0x82)), [[":method", "GET"]]);
});

Deno.test("an upper-case name is a field error: the block is decoded to its end and the table kept", () => {
  const decoder = new HpackDecoder();
  const block = bytes(0x40, 0x03, "Foo", 0x01, "x", 0x40, 0x01, "a", 0x01, "b");
  const error = assertThrows(() => decoder.decode(block), HpackFieldError, "lower-case token");
  assertInstanceOf(error, HpackError);
  assertEquals(decoder.tableSize, 34 + 36);
  assertEquals(decoder.decode(bytes(0xbe)), [["a", "b"]]);
  assertThrows(() => decoder.decode(bytes(0xbf)), HpackFieldError, '"Foo"');
});

Deno.test("a malformed field the table keeps is refused each time it is indexed, even one added after another's error", () => {
  const decoder = new HpackDecoder();
  // Both names are malformed; the block reports the first, and the second enters the table too.
  const block = bytes(0x40, 0x03, "Foo", 0x01, "x", 0x40, 0x03, "Bar", 0x01, "y");
  assertThrows(() => decoder.decode(block), HpackFieldError, '"Foo"');
  for (let i = 0; i < 2; i++) {
    assertThrows(() => decoder.decode(bytes(0xbe)), HpackFieldError, '"Bar"');
    assertThrows(() => decoder.decode(bytes(0xbf)), HpackFieldError, '"Foo"');
  }
  decoder.decode(bytes(0x40, 0x01, "a", 0x01, "b"));
  assertEquals(decoder.decode(bytes(0xbe)), [["a", "b"]]);
  assertThrows(() => decoder.decode(bytes(0xbf)), HpackFieldError, '"Bar"');
});

Deno.test("names that are empty, not tokens, or hold a colon past the first character are field errors", () => {
  for (const name of ["", ":", "a b", "a:b", "a\x7f", "caf\xe9", "(x)"]) {
    const block = bytes(0x00, name.length, name, 0x01, "v");
    assertThrows(() => new HpackDecoder().decode(block), HpackFieldError, "header field name");
  }
  const block = bytes(0x00, 0x07, ":custom", 0x01, "v");
  assertEquals(
    new HpackDecoder().decode(block),
    [[":custom", "v"]],
    "pseudo-header rules are h2's",
  );
});

Deno.test("values holding NUL, CR or LF, or starting or ending with white space, are field errors", () => {
  for (const value of ["a\x00b", "a\rb", "a\nb", " a", "a ", "\ta", "a\t"]) {
    const block = bytes(0x00, 0x01, "x", value.length, value);
    assertThrows(() => new HpackDecoder().decode(block), HpackFieldError, "header field value");
  }
});

Deno.test("octets that are not UTF-8 decode as latin-1, one character each", () => {
  const block = bytes(0x00, 0x01, "x", 0x04, 0xff, 0xe9, 0x80, 0x41);
  assertEquals(new HpackDecoder().decode(block), [["x", "\xff\xe9\x80A"]]);
});

Deno.test("a list over maxHeaderListSize is a field error; the table stays in step with the encoder", () => {
  const encoder = new HpackEncoder();
  const decoder = new HpackDecoder({ maxHeaderListSize: 200 });
  const big: [string, string][] = [];
  for (let i = 0; i < 8; i++) big.push([`x-field-${i}`, `value ${i}`]);
  assertThrows(() => decoder.decode(encoder.encode(big)), HpackFieldError, "exceeds 200 bytes");
  assertEquals(decoder.tableSize, encoder.tableSize);
  const again = encoder.encode(big.slice(0, 3));
  assertEquals(again.length, 3, "three indexed fields");
  assertEquals(decoder.decode(again), big.slice(0, 3));
});

Deno.test("the list size counts name + value + 32 per field, as SETTINGS_MAX_HEADER_LIST_SIZE does", () => {
  const block = bytes(0x82, 0x84); // :method GET (42), :path / (38)
  assertEquals(new HpackDecoder({ maxHeaderListSize: 80 }).decode(block).length, 2);
  assertThrows(() => new HpackDecoder({ maxHeaderListSize: 79 }).decode(block), HpackFieldError);
});

Deno.test("a literal larger than the whole table empties it and is not kept", () => {
  const decoder = new HpackDecoder({ maxTableSize: 64 });
  decoder.decode(bytes(0x40, 0x01, "a", 0x01, "b"));
  const value = "v".repeat(40);
  assertEquals(decoder.decode(bytes(0x40, 0x01, "c", value.length, value)), [["c", value]]);
  assertEquals(decoder.tableSize, 0);
  refuses(bytes(0xbe), "index 62 is past the tables", decoder);
});
