/**
 * Gate sample of the translate fuzzer: a fixed seed, so the same cases run
 * every time; `deno task fuzz --target translate` runs 100k.
 */
import { describeFailure, runFuzz } from "./_runner.ts";
import { translateTarget } from "./translate_target.ts";

/** The gate's seed; change it only together with any findings it brings. */
const SEED = 20261130;

Deno.test("120 mutated snapshots go through validation, translate and the route-table compiler without an exception", async () => {
  const report = await runFuzz(translateTarget(), { seed: SEED, cases: 120 });
  if (report.failures.length > 0) {
    throw new Error(report.failures.map(describeFailure).join("\n\n"));
  }
});
