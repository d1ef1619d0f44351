/**
 * `DependentsIndex` shares one list of keys among the dependents built from
 * the same keys; each dependent still comes and goes on its own.
 */
import { assert, assertEquals } from "@std/assert";
import { DependentsIndex } from "../../src/translate/dependency_changes.ts";

const keys = ["Service/shop/web", "EndpointSlices/shop/web"];

Deno.test("dependents built from the same keys share one list, and each goes on its own", () => {
  const index = new DependentsIndex();
  const a = index.set("HTTPRoute/shop/a", new Set(keys));
  const b = index.set("HTTPRoute/shop/b", [...keys]);
  assertEquals(a, keys);
  assert(a === b, "one list for both");
  assertEquals(index.keysOf("HTTPRoute/shop/b"), keys);
  index.delete("HTTPRoute/shop/a");
  assertEquals(index.keysOf("HTTPRoute/shop/a"), []);
  assertEquals(index.keysOf("HTTPRoute/shop/b"), keys);
  assertEquals([...index.dependentsOf(new Set(["Service/shop/web"]))], ["HTTPRoute/shop/b"]);
  index.delete("HTTPRoute/shop/b");
  assertEquals(index.anyOf(new Set(keys)), false);
});

Deno.test("a dependent set again with other keys leaves the old ones", () => {
  const index = new DependentsIndex();
  index.set("HTTPRoute/shop/a", keys);
  index.set("HTTPRoute/shop/b", keys);
  const moved = index.set("HTTPRoute/shop/a", ["Service/shop/other"]);
  assertEquals(moved, ["Service/shop/other"]);
  assertEquals([...index.dependentsOf(new Set(["Service/shop/web"]))], ["HTTPRoute/shop/b"]);
  assertEquals([...index.dependentsOf(new Set(["Service/shop/other"]))], ["HTTPRoute/shop/a"]);
  assertEquals(index.set("HTTPRoute/shop/c", []), []);
  assertEquals(index.keysOf("HTTPRoute/shop/c"), []);
});
