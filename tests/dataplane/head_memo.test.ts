/**
 * The memo of heads kept by their bytes (`head_memo.ts`): a head found
 * again is the one kept; a miss makes the next lookups of its length skip
 * the memo (no compare, nothing kept), one, then twice as many after each
 * miss in a row, up to MAX_SKIPS, and a head found resets that; a slot's
 * head read again gives way at once, one never read again after a few
 * other heads. Counted in lookups, not time.
 */
import { assertEquals } from "@std/assert";
import {
  HEAD_MEMO_BYTES,
  HeadMemo,
  KeptHead,
  MAX_SKIPS,
  MISSES_TO_REPLACE,
} from "../../src/dataplane/head_memo.ts";

class Kept extends KeptHead {
  constructor(readonly name: string) {
    const bytes = new TextEncoder().encode(name);
    super(bytes, 0, bytes.length);
  }
}

const bytesOf = (text: string) => new TextEncoder().encode(text);

/** Looks `text` up; keeps it when the memo takes it. The head found, or `undefined`. */
function read(memo: HeadMemo<Kept>, text: string, made: string[] = []): string | undefined {
  const bytes = bytesOf(text);
  const found = memo.recall(bytes, 0, bytes.length);
  if (found !== undefined) return found.name;
  memo.remember(bytes.length, () => {
    made.push(text);
    return new Kept(text);
  });
  return undefined;
}

Deno.test("a miss skips the next lookups of its length, twice as many after each miss in a row; a head found resets it", () => {
  const memo = new HeadMemo<Kept>();
  assertEquals([read(memo, "head-A"), read(memo, "head-A")], [undefined, "head-A"]);
  // Misses in a row, looked up without keeping: 1, 2, 4, ... lookups skipped, up to MAX_SKIPS.
  const skips: number[] = [];
  for (let miss = 0; miss < 13; miss++) {
    const bytes = bytesOf(`head-${miss % 10}`);
    assertEquals(memo.recall(bytes, 0, bytes.length), undefined);
    skips.push(memo.skipsLeft(6));
    // Skipped lookups find nothing, not even the head kept.
    const kept = bytesOf("head-A");
    while (memo.skipsLeft(6) > 0) assertEquals(memo.recall(kept, 0, kept.length), undefined);
  }
  assertEquals(skips, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 1024, 1024]);
  assertEquals(MAX_SKIPS, 1024);
  // Found again: the next miss skips one lookup only.
  assertEquals(read(memo, "head-A"), "head-A");
  assertEquals(read(memo, "head-B"), undefined);
  assertEquals(memo.skipsLeft(6), 1);
  // Other lengths have slots of their own.
  assertEquals(memo.skipsLeft(7), 0);
});

Deno.test("a skipped lookup keeps nothing; a compared miss replaces a head read again at once", () => {
  const memo = new HeadMemo<Kept>();
  const made: string[] = [];
  read(memo, "head-A", made);
  assertEquals(read(memo, "head-A", made), "head-A");
  // "B" replaces "A", read again, at once; the lookup after the miss is skipped, the next finds "B".
  assertEquals([read(memo, "head-B", made), read(memo, "head-B", made)], [undefined, undefined]);
  assertEquals(read(memo, "head-B", made), "head-B");
  assertEquals(made, ["head-A", "head-B"]);
});

Deno.test("a head never read again gives way after a few compared misses; long heads are never kept", () => {
  const memo = new HeadMemo<Kept>();
  const made: string[] = [];
  read(memo, "head-A", made);
  let lookups = 0;
  while (made.length < 2) {
    read(memo, `head-${lookups % 10}`, made);
    lookups++;
  }
  // Each compared miss is followed by 1, 2, 4, ... skipped lookups: the eighth compared one is
  // lookup 8 + (1 + 2 + ... + 64).
  assertEquals([made.length, lookups], [2, MISSES_TO_REPLACE + 2 ** (MISSES_TO_REPLACE - 1) - 1]);
  const long = "x".repeat(HEAD_MEMO_BYTES + 1);
  const fresh = new HeadMemo<Kept>();
  assertEquals([read(fresh, long, made), read(fresh, long, made)], [undefined, undefined]);
  assertEquals(made.length, 2);
});
