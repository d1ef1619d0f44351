import { assertEquals } from "@std/assert";
import { HostnameIndex } from "../../src/translate/hostname_index.ts";
import { intersectHostname } from "../../src/translate/hostname.ts";
import { Prng } from "../fuzz/_prng.ts";

const LABELS = ["a", "b", "c", "ab", "example", "com"];

function hostname(rng: Prng): string {
  if (rng.chance(0.05)) return "*";
  const labels = Array.from({ length: 1 + rng.int(4) }, () => rng.pick(LABELS));
  return (rng.chance(0.3) ? "*." : "") + labels.join(".");
}

Deno.test("the index finds exactly the items with a hostname that intersects, as items come and go", () => {
  const rng = new Prng(11);
  const index = new HostnameIndex<number>();
  const model = new Map<number, string[][]>();
  for (let step = 0; step < 2_000; step++) {
    const item = rng.int(60);
    const lists = model.get(item) ?? [];
    if (lists.length > 0 && rng.chance(0.4)) {
      const list = lists.splice(rng.int(lists.length), 1)[0];
      index.remove(item, list);
    } else {
      const list = Array.from({ length: 1 + rng.int(3) }, () => hostname(rng));
      lists.push(list);
      index.add(item, list);
    }
    model.set(item, lists);
    const query = hostname(rng);
    const found = new Set<number>();
    index.forEachMeeting(query, (i) => found.add(i));
    const expected = [...model].filter(([, ls]) =>
      ls.some((l) => l.some((h) => intersectHostname(query, h) !== undefined))
    ).map(([i]) => i).sort((a, b) => a - b);
    assertEquals([...found].sort((a, b) => a - b), expected, `step ${step}: ${query}`);
  }
});
