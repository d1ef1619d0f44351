/**
 * The search for the end of a head (`findBlankLine`), which steps over text
 * four bytes at a time, finds what a byte-by-byte search finds: on every
 * string of CR, LF and one other byte up to 9 bytes long, at every start,
 * and on long random ones.
 */
import { assertEquals } from "@std/assert";
import { findBlankLine } from "../../src/dataplane/http1_bytes.ts";
import { Prng } from "../fuzz/_prng.ts";

/** The first CRLFCRLF wholly in `buf[from, end)`, one position at a time. */
function naive(buf: Uint8Array, from: number, end: number): number {
  for (let i = from; i + 3 < end; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i;
  }
  return -1;
}

const ALPHABET = [13, 10, 97];

Deno.test("every string of CR, LF and a letter up to 9 bytes: the same end as a byte-by-byte search", () => {
  for (let length = 0; length <= 9; length++) {
    const buf = new Uint8Array(length);
    for (let n = 0; n < 3 ** length; n++) {
      let rest = n;
      for (let i = 0; i < length; i++) {
        buf[i] = ALPHABET[rest % 3];
        rest = Math.floor(rest / 3);
      }
      for (let from = 0; from <= length; from++) {
        assertEquals(
          findBlankLine(buf, from, length),
          naive(buf, from, length),
          `${buf} from ${from}`,
        );
      }
    }
  }
});

Deno.test("long random heads, cut anywhere: the same end as a byte-by-byte search", () => {
  const prng = new Prng(12);
  for (let run = 0; run < 2_000; run++) {
    const length = 1 + prng.int(300);
    const buf = new Uint8Array(length);
    // Mostly text, with line ends scattered as in a head.
    for (let i = 0; i < length; i++) {
      const r = prng.int(10);
      buf[i] = r === 0 ? 13 : r === 1 ? 10 : 32 + prng.int(95);
    }
    if (length >= 4 && prng.int(2) === 0) buf.set([13, 10, 13, 10], prng.int(length - 3));
    const from = prng.int(length);
    const end = from + prng.int(length - from + 1);
    assertEquals(findBlankLine(buf, from, end), naive(buf, from, end));
  }
});
