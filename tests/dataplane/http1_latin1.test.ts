/**
 * `latin1` of head bytes: the same text whichever way it is made (the
 * runtime's decode for ASCII runs of 16 bytes or more, character codes
 * otherwise), at every length around the switch and with a byte above 127
 * anywhere.
 */
import { assertEquals } from "@std/assert";
import { latin1 } from "../../src/dataplane/http1_bytes.ts";

const reference = new TextDecoder("latin1");

Deno.test("latin1 gives one character a byte, ASCII or not, at every length up to 80", () => {
  const bytes = new Uint8Array(90);
  for (let i = 0; i < bytes.length; i++) bytes[i] = 32 + (i * 7) % 95;
  for (let length = 0; length <= 80; length++) {
    assertEquals(latin1(bytes, 5, 5 + length), reference.decode(bytes.subarray(5, 5 + length)));
    for (const at of [0, length >> 1, length - 1]) {
      if (at < 0 || at >= length) continue;
      const wide = bytes.slice();
      wide[5 + at] = 0xe9;
      const text = latin1(wide, 5, 5 + length);
      // windows-1252 and latin-1 agree on 0xe9.
      assertEquals(text, reference.decode(wide.subarray(5, 5 + length)));
      assertEquals(text.charCodeAt(at), 0xe9);
    }
  }
});
