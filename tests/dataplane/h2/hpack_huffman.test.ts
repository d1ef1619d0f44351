/**
 * The Huffman code of RFC 7541 Appendix B: known codings from Appendix C,
 * every octet through encode and decode, and the lengths the encoder uses
 * to choose between Huffman and raw strings.
 */
import { assertEquals, assertThrows } from "@std/assert";
import { HpackError } from "../../../src/dataplane/h2/hpack.ts";
import {
  huffmanDecode,
  huffmanEncode,
  huffmanLength,
} from "../../../src/dataplane/h2/hpack_huffman.ts";

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

function encode(text: string): Uint8Array {
  const out = new Uint8Array(huffmanLength(text));
  assertEquals(huffmanEncode(text, out, 0), out.length, `length of ${JSON.stringify(text)}`);
  return out;
}

function decode(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.floor((bytes.length * 8) / 5));
  const n = huffmanDecode(bytes, 0, bytes.length, out);
  return String.fromCharCode(...out.subarray(0, n));
}

Deno.test("the codings of Appendix C: encoded exactly, decoded back", () => {
  const known: [string, string][] = [
    ["www.example.com", "f1e3c2e5f23a6ba0ab90f4ff"],
    ["no-cache", "a8eb10649cbf"],
    ["custom-key", "25a849e95ba97d7f"],
    ["custom-value", "25a849e95bb8e8b4bf"],
    ["302", "6402"],
    ["private", "aec3771a4b"],
    ["Mon, 21 Oct 2013 20:13:21 GMT", "d07abe941054d444a8200595040b8166e082a62d1bff"],
    ["https://www.example.com", "9d29ad171863c78f0b97c8e9ae82ae43d3"],
    ["gzip", "9bd9ab"],
  ];
  for (const [text, coded] of known) {
    assertEquals(hex(encode(text)), coded, text);
    assertEquals(decode(encode(text)), text, text);
  }
});

Deno.test("every octet round-trips alone and all 256 together, 30-bit codes included", () => {
  let all = "";
  for (let octet = 0; octet < 256; octet++) {
    const text = String.fromCharCode(octet);
    assertEquals(decode(encode(text)), text, `octet ${octet}`);
    all += text;
  }
  assertEquals(decode(encode(all)), all);
  assertEquals(hex(encode("\n")), "fffffff3", "LF: the 30 bits of 3ffffffc, then 2 of padding");
});

Deno.test("an empty string is zero bytes and decodes to nothing", () => {
  assertEquals(huffmanLength(""), 0);
  assertEquals(decode(new Uint8Array(0)), "");
});

Deno.test("decoding refuses EOS anywhere, and padding that is long or not ones", () => {
  assertThrows(() => decode(Uint8Array.from([0xff, 0xff, 0xff, 0xfc])), HpackError, "EOS");
  assertThrows(() => decode(Uint8Array.from([0x1f, 0xff, 0xff, 0xff, 0xff])), HpackError, "EOS");
  assertThrows(() => decode(Uint8Array.from([0xff])), HpackError, "padding");
  assertThrows(() => decode(Uint8Array.from([0x1e])), HpackError, "padding");
});

Deno.test("the coded length is what the encoder compares with the raw length", () => {
  assertEquals(huffmanLength("www.example.com"), 12);
  assertEquals(huffmanLength("\xff\xfe"), 7, "26 + 27 bits: longer than the 2 raw bytes");
});
