import { assertEquals } from "@std/assert";
import { pollWait } from "../../bench/_scale_probe.ts";

Deno.test("a fixed poll schedule waits for the next 5 ms slot after the change", () => {
  assertEquals(pollWait("fixed", 100, 101), 4);
  assertEquals(pollWait("fixed", 100, 105), 5);
  assertEquals(pollWait("fixed", 100, 109.5), 0.5);
});

Deno.test("a fixed poll schedule skips the slots a slow answer missed", () => {
  // The answer came 12.5 ms after the change: slots 5 and 10 are gone, 15 is next.
  assertEquals(pollWait("fixed", 100, 112.5), 2.5);
});

Deno.test("the after-answer schedule waits 5 ms from each answer", () => {
  assertEquals(pollWait("after", 100, 112.5), 5);
});

Deno.test("the fixed schedule is the default", () => {
  assertEquals(pollWait(undefined, 0, 1), 4);
});
