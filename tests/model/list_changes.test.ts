import { assertEquals } from "@std/assert";
import { listChanges } from "../../src/model/list_changes.ts";
import { Prng } from "../fuzz/_prng.ts";
import { withListTrail } from "../../src/model/list_trail.ts";

interface Item {
  id: string;
}

const item = (id: string): Item => ({ id });

/** The answer two sets give: what only one of the lists holds. */
function bySets(before: readonly Item[], after: readonly Item[]) {
  const a = new Set(after);
  const b = new Set(before);
  return { added: after.filter((x) => !b.has(x)), removed: before.filter((x) => !a.has(x)) };
}

/** The same objects (by identity, each once), in any order. */
function assertSameObjects(got: readonly Item[], want: readonly Item[], what: string): void {
  const wanted = new Set(want);
  assertEquals(got.length, want.length, what);
  assertEquals(got.filter((x) => wanted.has(x)).length, want.length, what);
  assertEquals(new Set(got).size, got.length, `${what}: each object once`);
}

Deno.test("identical lists have no changes", () => {
  const list = [item("a"), item("b")];
  const changes = listChanges(list, Object.freeze([...list]));
  assertEquals([changes.added, changes.removed], [[], []]);
  assertEquals(changes.list, list, "a plain copy of the new list");
  assertEquals(Object.isFrozen(changes.list), false);
});

Deno.test("a replaced object is one added and one removed", () => {
  const [a, b, c] = [item("a"), item("b"), item("c")];
  const b2 = item("b");
  const changes = listChanges([a, b, c], [a, b2, c]);
  assertEquals(changes.added, [b2]);
  assertEquals(changes.removed, [b]);
});

Deno.test("an insertion and a removal far apart in a long list are found as such", () => {
  const before = Array.from({ length: 1000 }, (_, i) => item(`x${i}`));
  const after = [...before];
  const inserted = item("new");
  after.splice(10, 0, inserted);
  const removed = after.splice(900, 1);
  const changes = listChanges(before, after);
  assertEquals([changes.added, changes.removed], [[inserted], removed]);
});

Deno.test("a reordered list only moved its objects: no changes", () => {
  const list = Array.from({ length: 50 }, (_, i) => item(`x${i}`));
  const changes = listChanges(list, [...list].reverse());
  assertEquals([changes.added, changes.removed], [[], []]);
});

Deno.test("random edits give what two sets give", () => {
  const prng = new Prng(12);
  for (let round = 0; round < 300; round++) {
    let before = Array.from({ length: prng.int(40) }, (_, i) => item(`r${round}-${i}`));
    for (let step = 0; step < 5; step++) {
      const after = [...before];
      const edits = prng.int(12);
      for (let e = 0; e < edits; e++) {
        const at = prng.int(after.length + 1);
        const kind = prng.int(4);
        if (kind === 0) after.splice(at, 0, item(`n${round}-${step}-${e}`));
        else if (kind === 1 && after.length > 0) after.splice(at % after.length, 1);
        else if (kind === 2 && after.length > 0) {
          after[at % after.length] = item(after[at % after.length].id);
        } else if (after.length > 1) {
          const [moved] = after.splice(at % after.length, 1);
          after.splice(prng.int(after.length + 1), 0, moved);
        }
      }
      const got = listChanges(before, after);
      const want = bySets(before, after);
      assertSameObjects(got.added, want.added, `added, round ${round} step ${step}`);
      assertSameObjects(got.removed, want.removed, `removed, round ${round} step ${step}`);
      assertEquals(got.list, after);
      before = got.list;
    }
  }
});

Deno.test("a list that says what changed since the list given is answered from that, and is itself the next list to compare", () => {
  const [a, b, b2, c] = [item("a"), item("b"), item("b"), item("c")];
  const before = Object.freeze([a, b]);
  const after = Object.freeze(
    withListTrail([a, b2, c], { since: before, gone: [b], upserts: [b2, c] }),
  );
  const changes = listChanges(before, after);
  assertEquals([changes.added, changes.removed], [[b2, c], [b]]);
  assertEquals(changes.list === after, true);
  // A trail from another list is not believed: the lists are walked.
  const other = Object.freeze(withListTrail([a, c], { since: [a], gone: [], upserts: [c] }));
  const walked = listChanges(before, other);
  assertSameObjects(walked.added, [c], "added");
  assertSameObjects(walked.removed, [b], "removed");
  assertEquals(listChanges(after, after).added, []);
});
