import { assertEquals } from "@std/assert";
import { diffRoutes } from "../../src/translate/route_diff.ts";

interface R {
  name: string;
  v: number;
}

const r = (name: string, v = 0): R => ({ name, v });
const key = (route: R) => route.name;
const [a, b, c, d] = [r("a"), r("b"), r("c"), r("d")];

Deno.test("the same list has no changes", () => {
  assertEquals(diffRoutes([a, b, c], [a, b, c], key, 10), { upserts: [], removed: [] });
});

Deno.test("a new version in place is an upsert, not a removal", () => {
  const b2 = r("b", 1);
  assertEquals(diffRoutes([a, b, c], [a, b2, c], key, 10), { upserts: [b2], removed: [] });
});

Deno.test("a route deleted from the middle leaves the others alone", () => {
  assertEquals(diffRoutes([a, b, c, d], [a, c, d], key, 10), { upserts: [], removed: ["b"] });
});

Deno.test("a route added at the end is an upsert", () => {
  assertEquals(diffRoutes([a, b], [a, b, c], key, 10), { upserts: [c], removed: [] });
});

Deno.test("two routes that swap places: one is taken out and put back, nothing removed", () => {
  assertEquals(diffRoutes([a, b, c], [a, c, b], key, 10), { upserts: [b], removed: [] });
});

Deno.test("more changes than the limit give up", () => {
  assertEquals(diffRoutes([a, b, c, d], [r("a", 1), r("b", 1), r("c", 1)], key, 2), undefined);
});

Deno.test("a key twice among the new objects gives up", () => {
  assertEquals(diffRoutes([b], [a, r("a", 1)], key, 10), undefined);
});
