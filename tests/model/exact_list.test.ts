import { assert, assertEquals } from "@std/assert";
import { exactList } from "../../src/model/exact_list.ts";

Deno.test("exactList copies a list with the same items in the same order", () => {
  const built: { id: number }[] = [];
  for (let i = 0; i < 3; i++) built.push({ id: i });
  const kept = exactList(built);
  assertEquals(kept, built);
  assert(kept !== built, "a copy, so the pushed list's spare room goes");
  kept.forEach((item, i) => assert(item === built[i], "the items themselves, not copies"));
});

Deno.test("exactList of an empty list is a new empty list", () => {
  const empty: number[] = [];
  const kept = exactList(empty);
  assertEquals(kept, []);
  assert(kept !== empty);
});
