/**
 * The list readers of `FieldChecker`: every item read in order, absent
 * ones dropped (lists are built at their final length since they are kept in
 * the store).
 */
import { assertEquals } from "@std/assert";
import { FieldChecker } from "../../src/resources/validate_fields.ts";

Deno.test("listOf keeps every item read, in order, with its index and field", () => {
  const c = new FieldChecker();
  const seen: string[] = [];
  const out = c.listOf(["a", "b", "c"], "spec.items", {}, (item, field, index) => {
    seen.push(`${field}#${index}`);
    return `${item}!`;
  });
  assertEquals(out, ["a!", "b!", "c!"]);
  assertEquals(seen, ["spec.items[0]#0", "spec.items[1]#1", "spec.items[2]#2"]);
});

Deno.test("listOf drops the items its reader leaves out and keeps the order of the rest", () => {
  const c = new FieldChecker();
  const out = c.listOf(
    [1, 2, 3, 4],
    "spec.items",
    {},
    (item) => (item as number) % 2 === 0 ? item : undefined,
  );
  assertEquals(out, [2, 4]);
  assertEquals(c.listOf([], "spec.items", {}, () => 1), []);
  assertEquals(c.listOf(undefined, "spec.items", {}, () => 1), undefined);
});

Deno.test("stringList drops items that are not strings and reports them", () => {
  const c = new FieldChecker();
  assertEquals(c.stringList(["a", 5, "b"], "spec.hostnames", {}, {}), ["a", "b"]);
  assertEquals(c.errors.length, 1);
});
