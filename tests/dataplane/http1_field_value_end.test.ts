/**
 * `fieldValueEnd`, the one pass that finds a field line's end and checks its
 * value, against the two it replaced (the line's first CRLF, then no control
 * character other than tab in the value before it): every string of the
 * bytes that matter up to 6 long, and random longer ones.
 */
import { assertEquals } from "@std/assert";
import { fieldValueEnd, findCrlf } from "../../src/dataplane/http1_bytes.ts";

/** The two passes: the line's end, or -1 when the value before it has a control character. */
function twoPasses(buf: Uint8Array, from: number, end: number): number {
  const lineEnd = findCrlf(buf, from, end);
  for (let i = from; i < lineEnd; i++) {
    const b = buf[i];
    if ((b < 32 && b !== 9) || b === 127) return -1;
  }
  return lineEnd;
}

const ALPHABET = [13, 10, 9, 32, 97, 0, 127, 0xe9];

Deno.test("fieldValueEnd agrees with a CRLF search and a control check on every short line", () => {
  const buf = new Uint8Array(12);
  let count = 0;
  for (let length = 0; length <= 6; length++) {
    const digits = new Array(length).fill(0);
    for (;;) {
      buf.fill(120);
      for (let i = 0; i < length; i++) buf[2 + i] = ALPHABET[digits[i]];
      assertEquals(
        fieldValueEnd(buf, 2, 2 + length),
        twoPasses(buf, 2, 2 + length),
        [...buf].join(),
      );
      count++;
      let k = 0;
      while (k < length && ++digits[k] === ALPHABET.length) digits[k++] = 0;
      if (k === length) break;
    }
  }
  assertEquals(count > 250_000, true);
});

Deno.test("fieldValueEnd agrees with the two passes on random lines up to 200 bytes", () => {
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let n = 0; n < 20_000; n++) {
    const length = Math.floor(next() * 200);
    const buf = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      buf[i] = next() < 0.05
        ? ALPHABET[Math.floor(next() * ALPHABET.length)]
        : 32 + Math.floor(next() * 95);
    }
    assertEquals(fieldValueEnd(buf, 0, length), twoPasses(buf, 0, length));
  }
});
