import { assert, assertEquals, assertNotEquals } from "@std/assert";
import type { RuleConfig } from "../../src/model/config.ts";
import { RuleMapBuilder, ruleMapOf } from "../../src/model/rule_map.ts";

function rule(id: string, invalidWeight = 0): RuleConfig {
  return { id, filters: [], backends: [], invalidWeight };
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `r/${String(i).padStart(4, "0")}`);

Deno.test("rule map: a version handed out keeps its entries while later ones change", () => {
  const builder = new RuleMapBuilder();
  for (const id of ids(100)) builder.set(id, rule(id));
  const first = builder.snapshot();
  assert(builder.snapshot() === first, "no change: the same map again");
  builder.set("r/0001", rule("r/0001", 1));
  builder.delete("r/0002");
  builder.set("new", rule("new"));
  const second = builder.snapshot();
  assertEquals([first.size, first.get("r/0001")!.invalidWeight, first.has("r/0002")], [
    100,
    0,
    true,
  ]);
  assertEquals([second.size, second.get("r/0001")!.invalidWeight, second.has("r/0002")], [
    100,
    1,
    false,
  ]);
  assert(second.get("r/0050") === first.get("r/0050"), "unchanged rules are the same objects");
  assertEquals(new Set(second.keys()).size, 100);
  assertEquals([...second.values()].length, 100);
});

Deno.test("rule map: many versions fold their changes and still read as a plain map would", () => {
  const builder = new RuleMapBuilder();
  const expected = new Map<string, RuleConfig>();
  const kept: [ReturnType<RuleMapBuilder["snapshot"]>, Map<string, RuleConfig>][] = [];
  for (let step = 0; step < 400; step++) {
    const id = ids(50)[(step * 7) % 50];
    if (step % 3 === 2) {
      builder.delete(id);
      expected.delete(id);
    } else {
      const config = rule(id, step);
      builder.set(id, config);
      expected.set(id, config);
    }
    if (step % 10 === 0) kept.push([builder.snapshot(), new Map(expected)]);
  }
  for (const [map, want] of kept) {
    assertEquals(map.size, want.size);
    assertEquals(new Map(map), want);
  }
});

Deno.test("rule map: JSON is an object with sorted keys; deep equality sees the contents", () => {
  const map = ruleMapOf([["b", rule("b")], ["a", rule("a")]]);
  assertEquals(JSON.stringify(map), JSON.stringify({ a: rule("a"), b: rule("b") }));
  assertEquals(map, ruleMapOf({ a: rule("a"), b: rule("b") }));
  assertNotEquals(map, ruleMapOf({ a: rule("a"), b: rule("b", 1) }));
  assert(Object.isFrozen(map));
});
