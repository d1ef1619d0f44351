import { assertEquals } from "@std/assert";
import { type CpuProfile, timeline, treeLines } from "../../bench/_cpu_timeline.ts";

const SRC = "file:///repo/src";

/** root → run (src/runtime/run_gateway.ts) → translate (src/translate/translate.ts); and GC. */
const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: 0 }, children: [2, 4] },
    {
      id: 2,
      callFrame: { functionName: "run", url: `${SRC}/runtime/run_gateway.ts`, lineNumber: 9 },
      children: [3],
    },
    {
      id: 3,
      callFrame: { functionName: "translate", url: `${SRC}/translate/translate.ts`, lineNumber: 0 },
    },
    { id: 4, callFrame: { functionName: "(garbage collector)", url: "", lineNumber: 0 } },
  ],
  // Each sample lasts until the next: 10 ms each, the last one 0.
  samples: [3, 3, 4, 2, 3],
  timeDeltas: [0, 10_000, 10_000, 10_000, 10_000],
};

Deno.test("the timeline names a sample by the outermost and innermost module of ours", () => {
  assertEquals(timeline(PROFILE, 25), [
    [0, [["runtime/run_gateway > translate/translate", 20], ["(garbage collector)", 10]]],
    [25, [["runtime/run_gateway > runtime/run_gateway", 10], [
      "runtime/run_gateway > translate/translate",
      0,
    ]]],
  ]);
});

Deno.test("the tree under a function gives inclusive and self ms, children largest first", () => {
  assertEquals(treeLines(PROFILE, "run", { minMs: 0 }), [
    "30 ms (self 10) run src/runtime/run_gateway.ts:10",
    "  20 ms (self 20) translate src/translate/translate.ts:1",
  ]);
  assertEquals(treeLines(PROFILE, "run", { inFile: "elsewhere.ts", minMs: 0 }), []);
});
