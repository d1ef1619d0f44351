/**
 * `DependentsIndex` shares one list of keys among the dependents built from
 * the same keys; each dependent still comes and goes on its own, by the list
 * it was recorded with.
 */
import { assert, assertEquals } from "@std/assert";
import { DependentsIndex } from "../../src/translate/dependency_changes.ts";

const keys = ["Service/shop/web", "EndpointSlices/shop/web"];

function dependents(index: DependentsIndex, key: string): string[] {
  return [...index.dependentsOf(new Set([key]))].sort();
}

Deno.test("dependents built from the same keys share one list, and each goes on its own", () => {
  const index = new DependentsIndex();
  const a = index.set("HTTPRoute/shop/a", new Set(keys));
  const b = index.set("HTTPRoute/shop/b", [...keys]);
  assertEquals(a, keys);
  assert(a === b, "one list for both");
  assertEquals(dependents(index, "Service/shop/web"), ["HTTPRoute/shop/a", "HTTPRoute/shop/b"]);
  index.delete("HTTPRoute/shop/a", a);
  assertEquals(dependents(index, "EndpointSlices/shop/web"), ["HTTPRoute/shop/b"]);
  index.delete("HTTPRoute/shop/b", b);
  assertEquals(index.anyOf(new Set(keys)), false);
});

Deno.test("a dependent set again with other keys leaves the old ones", () => {
  const index = new DependentsIndex();
  const a = index.set("HTTPRoute/shop/a", keys);
  index.set("HTTPRoute/shop/b", keys);
  const moved = index.set("HTTPRoute/shop/a", ["Service/shop/other"], a);
  assertEquals(moved, ["Service/shop/other"]);
  assertEquals(dependents(index, "Service/shop/web"), ["HTTPRoute/shop/b"]);
  assertEquals(dependents(index, "Service/shop/other"), ["HTTPRoute/shop/a"]);
  assertEquals(index.set("HTTPRoute/shop/c", []), []);
  index.delete("HTTPRoute/shop/c", []);
  assertEquals(dependents(index, "Service/shop/other"), ["HTTPRoute/shop/a"]);
});

Deno.test("the last dependent of a list gone, a new list of the same keys is recorded afresh", () => {
  const index = new DependentsIndex();
  const first = index.set("HTTPRoute/shop/a", keys);
  index.delete("HTTPRoute/shop/a", first);
  // Deleting again with the old list changes nothing.
  index.delete("HTTPRoute/shop/a", first);
  const again = index.set("HTTPRoute/shop/b", keys);
  index.delete("HTTPRoute/shop/a", first);
  assertEquals(dependents(index, "Service/shop/web"), ["HTTPRoute/shop/b"]);
  index.delete("HTTPRoute/shop/b", again);
  assertEquals(index.anyOf(new Set(keys)), false);
});
