import { assert, assertEquals } from "@std/assert";
import { simulate } from "../../bench/holdoff_churn.ts";
import { Holdoff } from "../../src/time/holdoff.ts";

Deno.test("under light churn a change waits at most for a rebuild in progress and as long again, and each change is one rebuild", () => {
  // Rebuilds of 2.5 ms (±20%) among changes every 10 ms: never back to back.
  const waits = simulate(Holdoff, 2.5, 10, 200);
  assert(waits.max <= 2 * 2.5 * 1.2, `max wait ${waits.max} ms`);
  const changes = 200 * 7 - 1 + 200;
  assertEquals(waits.rebuilds, changes);
});

Deno.test("under churn that would fill the event loop, rebuilds take about half of it", () => {
  // Rebuilds of 8 ms among changes every 10 ms: 80% wanted.
  const probes = 200;
  const waits = simulate(Holdoff, 8, 10, probes);
  const busy = (waits.rebuilds * 8) / (probes * 7 * 10);
  assert(busy > 0.45 && busy < 0.56, `rebuilds took ${busy} of the time`);
});
