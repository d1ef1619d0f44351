/**
 * The view of a buffer's first bytes handed again (`leading_view.ts`): the
 * same view for the same buffer and length, a new one otherwise.
 */
import { assert, assertEquals, assertFalse, assertStrictEquals } from "@std/assert";
import { LeadingView } from "../../src/dataplane/leading_view.ts";

Deno.test("a leading view is handed again for the same buffer and length, and made anew otherwise", () => {
  const lead = new LeadingView();
  const buf = new Uint8Array([1, 2, 3, 4, 5]);
  const first = lead.of(buf, 3);
  assertEquals([...first], [1, 2, 3]);
  assertStrictEquals(lead.of(buf, 3), first);
  buf[0] = 9;
  assertEquals([...lead.of(buf, 3)], [9, 2, 3], "a kept view shows the buffer's bytes");
  const longer = lead.of(buf, 4);
  assert(longer !== first);
  assertEquals([...longer], [9, 2, 3, 4]);
  const other = new Uint8Array([7, 7, 7, 7]);
  const ofOther = lead.of(other, 4);
  assert(ofOther !== longer);
  assertEquals([...ofOther], [7, 7, 7, 7]);
});

Deno.test("a leading view tells which buffer it is of, and lets go of it", () => {
  const lead = new LeadingView();
  const buf = new Uint8Array(8);
  assertFalse(lead.isOf(buf));
  const view = lead.of(buf, 2);
  assert(lead.isOf(buf));
  assertFalse(lead.isOf(new Uint8Array(8)));
  lead.forget();
  assertFalse(lead.isOf(buf));
  assert(lead.of(buf, 2) !== view);
});
