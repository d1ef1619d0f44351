import { assert, assertEquals } from "@std/assert";
import { LayeredMap } from "../../src/model/layered_map.ts";
import { Prng } from "../fuzz/_prng.ts";

function contents(map: LayeredMap<string, number>): [string, number][] {
  return [...map.entries()].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
}

function modelContents(model: Map<string, number>): [string, number][] {
  return [...model].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
}

Deno.test("a fork changes alone: the map it came from keeps its entries", () => {
  const a = new LayeredMap<string, number>();
  a.set("x", 1);
  a.set("y", 2);
  const b = a.fork();
  b.delete("x");
  b.set("y", 3);
  b.set("z", 4);
  assertEquals(contents(a), [["x", 1], ["y", 2]]);
  assertEquals(contents(b), [["y", 3], ["z", 4]]);
  assertEquals([a.size, b.size], [2, 2]);
  assertEquals([b.get("x"), b.has("x"), b.get("z")], [undefined, false, 4]);
});

Deno.test("chains of forks with random changes read like plain maps, old forks unchanged", () => {
  const prng = new Prng(41);
  const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);
  let map = new LayeredMap<string, number>();
  let model = new Map<string, number>();
  const kept: { map: LayeredMap<string, number>; model: [string, number][] }[] = [];
  for (let step = 0; step < 400; step++) {
    map = map.fork();
    model = new Map(model);
    // Many changes at first (a build), then a few per step (changes), so layers fold.
    const changes = step === 0 ? 250 : prng.int(6);
    for (let c = 0; c < changes; c++) {
      const key = prng.pick(keys);
      if (prng.chance(0.3)) {
        map.delete(key);
        model.delete(key);
      } else {
        const value = prng.int(1000) + 1;
        map.set(key, value);
        model.set(key, value);
      }
    }
    assertEquals(map.size, model.size, `size at step ${step}`);
    for (const key of keys) assertEquals(map.get(key), model.get(key), `${key} at step ${step}`);
    if (step % 37 === 0) kept.push({ map, model: modelContents(model) });
  }
  for (const { map, model } of kept) assertEquals(contents(map), model);
});

Deno.test("a large map folds a part per fork: chains read like plain maps, old and twice-forked copies unchanged", () => {
  const prng = new Prng(43);
  const keys = Array.from({ length: 6_000 }, (_, i) => `k${i}`);
  let map = new LayeredMap<string, number>();
  let model = new Map<string, number>();
  const kept: { map: LayeredMap<string, number>; model: [string, number][] }[] = [];
  for (let step = 0; step < 500; step++) {
    // Now and then a version is forked twice: the other fork changes on its own.
    if (step % 23 === 5) {
      const other = map.fork();
      other.set("k1", -1);
      other.delete("k2");
      assertEquals([other.get("k1"), other.has("k2")], [-1, false]);
    }
    map = map.fork();
    model = new Map(model);
    const changes = step === 0 ? 5_000 : prng.int(12);
    for (let c = 0; c < changes; c++) {
      const key = prng.pick(keys);
      if (prng.chance(0.3)) {
        map.delete(key);
        model.delete(key);
      } else {
        const value = prng.int(1000) + 1;
        map.set(key, value);
        model.set(key, value);
      }
    }
    assertEquals(map.size, model.size, `size at step ${step}`);
    if (step % 7 === 0) {
      for (const key of keys) assertEquals(map.get(key), model.get(key), `${key} at step ${step}`);
    }
    if (step % 61 === 0) kept.push({ map, model: modelContents(model) });
  }
  assertEquals(contents(map), modelContents(model));
  for (const { map, model } of kept) assertEquals(contents(map), model);
});

Deno.test("a copy that replaces or deletes most of its base folds at once, its base keeping nothing hidden", () => {
  const base = new LayeredMap<string, number>();
  for (let i = 0; i < 3000; i++) base.set(`k${i}`, i);
  const model = new Map(base.entries());
  const replaced = base.fork();
  for (let i = 0; i < 3000; i++) replaced.set(`k${i}`, -i);
  assert(replaced.hidden <= 1500, `hides ${replaced.hidden} of 3000`);
  assertEquals(contents(replaced), modelContents(new Map([...model].map(([k, v]) => [k, -v]))));
  assertEquals(contents(base), modelContents(model), "the copy it came from is unchanged");
  const emptied = base.fork();
  for (let i = 0; i < 2900; i++) emptied.delete(`k${i}`);
  assert(emptied.hidden <= 1500, `hides ${emptied.hidden}`);
  assertEquals(emptied.size, 100);
  assertEquals(contents(emptied), modelContents(new Map([...model].slice(2900))));
  assertEquals(contents(emptied.fork()), contents(emptied));
  assertEquals(contents(base), modelContents(model));
});

Deno.test("a map filled from empty hides nothing and never folds", () => {
  const map = new LayeredMap<string, number>();
  for (let i = 0; i < 5000; i++) map.set(`k${i}`, i);
  assertEquals([map.hidden, map.size], [0, 5000]);
});
