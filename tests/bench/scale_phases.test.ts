import { assertEquals } from "@std/assert";
import { phaseBreakdown, splitLines } from "../../bench/_scale_phases.ts";

/** A rebuild's "configuration served" record: the change in the store at `changedAt`, swapped at `swappedAt`. */
const served = (changedAt: number, swappedAt: number) => ({
  msg: "configuration served",
  changedAt,
  holdoffMs: 0.5,
  queuedMs: 0,
  swappedAt,
  doneAt: swappedAt + 0.2,
  durationMs: 2,
  translateMs: 1,
  compileMs: 0.2,
  listenersMs: 0,
  statusMs: 0.1,
});

Deno.test("the propagation split adds up to what the probe saw", () => {
  // Made at 1000; the create answered at 1014, the store at 1015, the swap at 1018, the 200 at 1021.
  const p = phaseBreakdown([served(1015, 1018)], [
    { madeAt: 1000, answeredAt: 1021, requestMs: 1, createdMs: 14 },
  ]);
  assertEquals(p.matched, 1);
  assertEquals(p.created.mean, 14);
  assertEquals(p.createdToStore.mean, 1);
  assertEquals(p.gateway.mean, 3);
  assertEquals(p.toAnswer.mean, 3);
  assertEquals(p.pollWait.mean, 2);
  assertEquals(p.perProbe[0].observed, 21);
});

Deno.test("a poll sent before the swap and answered after it waited for no poll", () => {
  const p = phaseBreakdown([served(1015, 1018)], [{
    madeAt: 1000,
    answeredAt: 1019,
    requestMs: 3,
  }]);
  assertEquals(p.toSend.mean, -2);
  assertEquals(p.pollWait.mean, 0);
  // Without a create call's answer (the fake API server), the first span is the change → the store.
  const lines = splitLines(p).join("\n");
  assertEquals(lines.includes("change → event in the gateway's store"), true);
  assertEquals(lines.includes("create call"), false);
});
