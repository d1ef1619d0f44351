/**
 * `FieldLinesMemo`: the gateway's own field lines written from bytes kept
 * while the same names and values come again, and written anew the moment
 * any name or value differs; the bytes always those of `putFieldLine`
 * (latin-1, one byte a character), short and long lists alike.
 */
import { assertEquals } from "@std/assert";
import { FieldLinesMemo, putFieldLine } from "../../src/dataplane/http1_bytes.ts";

/** The bytes `putFieldLine` writes for `pairs[from, to)`, as latin-1 text. */
function expected(pairs: string[], from: number, to: number): string {
  const out = new Uint8Array(4096);
  let at = 0;
  for (let i = from; i < to; i += 2) at = putFieldLine(out, at, pairs[i], pairs[i + 1]);
  return String.fromCharCode(...out.subarray(0, at));
}

/** What `memo` writes for `pairs[from, to)` at 3 of a buffer of 0xff, checked not to spill. */
function written(memo: FieldLinesMemo, pairs: string[], from: number, to: number): string {
  const out = new Uint8Array(4096).fill(0xff);
  const end = memo.put(out, 3, pairs, from, to);
  assertEquals([out[2], out[end]], [0xff, 0xff]);
  return String.fromCharCode(...out.subarray(3, end));
}

Deno.test("field lines memo: each list as putFieldLine writes it, whatever came before", () => {
  const memo = new FieldLinesMemo();
  const long = "v".repeat(300);
  const lists: [string[], number, number][] = [
    [["host", "a.example", "x-forwarded-for", "10.0.0.1"], 0, 2],
    [["host", "a.example", "x-forwarded-for", "10.0.0.1"], 0, 2],
    [["host", "b.example"], 0, 2],
    [["host", "a.example", "x-forwarded-for", "10.0.0.1"], 0, 4],
    [["host", "a.example", "x-forwarded-for", "10.0.0.2"], 0, 4],
    [["host", "a.example", "x-forwarded-for", "10.0.0.2"], 2, 4],
    [["x-forwarded-host", "a.example"], 0, 2],
    [["x-forwarded-proto", "a.example"], 0, 2],
    // Obs-text, an empty value, a long value, a repeated field.
    [["x-obs", "caf\xe9", "x-empty", "", "x-long", long, "x-obs", "caf\xe9"], 0, 8],
    [["x-obs", "caf\xe9", "x-empty", "", "x-long", long, "x-obs", "caf\xe9"], 0, 8],
    [["x-obs", "caf\xe9", "x-empty", "", "x-long", long + "w", "x-obs", "caf\xe9"], 0, 8],
    [["x-obs", "caf\xe8"], 0, 2],
    [[], 0, 0],
    [["x-empty", ""], 0, 2],
  ];
  for (const [pairs, from, to] of lists) {
    assertEquals(written(memo, pairs, from, to), expected(pairs, from, to), pairs.join(" "));
  }
});

Deno.test("field lines memo: the same text in new strings writes the same bytes", () => {
  const memo = new FieldLinesMemo();
  const host = (n: number) => ["a", "example"].join(".") + ":" + n;
  for (const port of [80, 80, 8080, 8080, 80]) {
    const pairs = ["x-forwarded-host", host(port)];
    assertEquals(written(memo, pairs, 0, 2), `x-forwarded-host: a.example:${port}\r\n`);
  }
});
