import { assertEquals } from "@std/assert";
import { SortedChunks } from "../../src/model/sorted_chunks.ts";
import { Prng } from "../fuzz/_prng.ts";

interface Item {
  key: number;
}

const byKey = (a: Item, b: Item) => a.key - b.key;

/** The model: a plain array, kept sorted the way the list promises (stable after equal keys). */
function insertModel(model: Item[], item: Item): void {
  let at = model.length;
  while (at > 0 && model[at - 1].key > item.key) at--;
  model.splice(at, 0, item);
}

Deno.test("inserts and deletes at random read like a sorted array, old versions unchanged", () => {
  const prng = new Prng(7);
  const list = new SortedChunks<Item>(byKey);
  let model: Item[] = [];
  const kept: { version: ReturnType<typeof list.snapshot>; model: Item[] }[] = [];
  for (let step = 0; step < 600; step++) {
    // Many inserts at first (a build), then a few changes per version.
    const changes = step === 0 ? 1_500 : prng.int(8);
    for (let c = 0; c < changes; c++) {
      if (model.length > 0 && prng.chance(0.45)) {
        const item = prng.pick(model);
        assertEquals(list.delete(item), true);
        model = model.filter((m) => m !== item);
      } else {
        // Few distinct keys: equal keys span chunks.
        const item = { key: prng.int(step === 0 ? 400 : 2_000) };
        list.insert(item);
        insertModel(model, item);
      }
    }
    assertEquals(list.delete({ key: 5 }), false, "an object never inserted is not found");
    const version = list.snapshot();
    assertEquals(version.size, model.length);
    const array = version.toArray();
    assertEquals(array.length, model.length, `length at step ${step}`);
    for (let i = 0; i < array.length; i++) assertEquals(array[i] === model[i], true, `${i}`);
    if (step % 50 === 0) kept.push({ version, model: [...model] });
  }
  for (const { version, model } of kept) {
    const array = version.toArray();
    assertEquals(array.length, model.length);
    for (let i = 0; i < array.length; i++) assertEquals(array[i] === model[i], true);
  }
});

Deno.test("a cleared list starts empty and its last version keeps its items", () => {
  const list = new SortedChunks<Item>(byKey);
  const a = { key: 1 };
  list.insert(a);
  const before = list.snapshot();
  list.clear();
  list.insert({ key: 2 });
  assertEquals(before.toArray(), [a]);
  assertEquals(list.snapshot().toArray(), [{ key: 2 }]);
});
