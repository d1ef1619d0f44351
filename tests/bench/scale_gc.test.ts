import { assert, assertEquals } from "@std/assert";
import { gcPauses, gcSummaryLine, parseGcLine, pausesIn } from "../../bench/_scale_gc.ts";
import { slowestProbeLines } from "../../bench/_scale_slowest.ts";
import { readSchedStat, schedDelta } from "../../bench/_schedstat.ts";

// Lines as V8 (Deno 2.9) prints them with --trace-gc.
const SCAVENGE = "[29906:0x55cce4b82000]      219 ms: Scavenge 39.5 (42.7) -> 37.9 (42.7) MB, " +
  "pooled: 4.2 MB, 0.59 / 0.00 ms (average mu = 0.971, current mu = 0.971) allocation failure; ";
const INCREMENTAL = "[29906:0x55cce4b82000]     1120 ms: Incremental Mark-Compact 39.3 (45.7) -> " +
  "31.3 (45.7) MB, pooled: 3.0 MB, 4.27 / 0.00 ms (+ 40.2 ms in 239 steps since start of " +
  "marking, biggest step 7.7 ms, walltime since start of marking 56 ms) (average mu = 0.942, " +
  "current mu = 0.893) finalize incremental marking via task; GC in old space requested";
const TESTING = "[29906:0x55cce4b82000]     1954 ms: Mark-Compact 34.5 (45.7) -> 31.7 (43.2) MB, " +
  "pooled: 4.0 MB, 71.03 / 0.00 ms (average mu = 0.926, current mu = 0.915) testing; GC in old " +
  "space requested";

Deno.test("a --trace-gc line gives its stamp, kind, pause and longest marking step", () => {
  assertEquals(parseGcLine(SCAVENGE)?.kind, "Scavenge");
  assertEquals(parseGcLine(SCAVENGE)?.pauseMs, 0.59);
  const mc = parseGcLine(INCREMENTAL)!;
  assertEquals([mc.ms, mc.kind, mc.pauseMs, mc.longestStepMs], [
    1120,
    "Incremental Mark-Compact",
    4.27,
    7.7,
  ]);
  assertEquals(parseGcLine('{"level":"info","msg":"configuration served"}'), undefined);
  assertEquals(
    parseGcLine("[29906:0x55cce4b82000]     1121 ms: Memory pool: Removed pages: 0"),
    undefined,
  );
});

Deno.test("collections are put on the wall clock by the marked gc() and given to the probes they fell in", () => {
  // gc() ended at wall-clock 10_954.5 ms: its stamp 1954 is 9_000 ms behind.
  const pauses = gcPauses(["not a gc line", SCAVENGE, INCREMENTAL, TESTING], {
    before: 10_880,
    after: 10_954.5,
  });
  assertEquals(pauses.map((p) => [p.kind, p.endAt]), [
    ["Scavenge", 9_219.5],
    ["Incremental Mark-Compact", 10_120.5],
  ]);
  const probe = { madeAt: 10_100, answeredAt: 10_130, requestMs: 20 };
  assertEquals(pausesIn(probe, pauses).map((p) => p.kind), ["Incremental Mark-Compact"]);
  assertEquals(pausesIn({ ...probe, madeAt: 10_121, answeredAt: 10_150 }, pauses), []);
  assert(gcSummaryLine([probe], pauses).includes("1 Incremental Mark-Compact"));
  assert(gcSummaryLine([probe], pauses).includes("1 of 1 probes had a pause inside"));
});

Deno.test("without the marked gc() no collection is placed", () => {
  assertEquals(gcPauses([SCAVENGE], { before: 0, after: 1 }), []);
});

Deno.test("the slowest probes come first, with their spans, CPU waits and collections", () => {
  const probes = [
    { madeAt: 0, answeredAt: 6, requestMs: 1 },
    {
      madeAt: 100,
      answeredAt: 140,
      requestMs: 30,
      sched: { gateway: { runMs: 35, waitMs: 2 }, bench: undefined },
    },
  ];
  const spans = [{ probe: 1, observed: 40, toStore: 1, gateway: 2, toAnswer: 37, request: 30 }];
  const pauses = [{ endAt: 120, pauseMs: 5, kind: "Scavenge" }];
  const lines = slowestProbeLines(probes, spans, pauses, 1);
  assertEquals(lines.length, 2);
  assertEquals(
    lines[1],
    "    #1: 40.0 = 1.0 + 2.0 + 37.0 [30.0]; gateway 35.0/2.0, bench ?; GC Scavenge 5.0 @ 15.0",
  );
  assert(!slowestProbeLines(probes, spans, undefined)[0].includes("GC"));
});

Deno.test("this thread's scheduling counters only grow", () => {
  const before = readSchedStat(Deno.pid);
  if (before === undefined) return; // No /proc here (not Linux): nothing to read.
  let x = 0;
  for (let i = 0; i < 1e6; i++) x += i;
  const delta = schedDelta(before, readSchedStat(Deno.pid))!;
  assert(x > 0 && delta.runMs >= 0 && delta.waitMs >= 0);
  assertEquals(schedDelta(before, undefined), undefined);
});
