/**
 * Gate sample of the upstream response fuzzer: a fixed seed, so the same
 * cases run every time; `deno task fuzz --target upstream` runs 100k.
 */
import { describeFailure, runFuzz } from "./_runner.ts";
import { upstreamTarget } from "./upstream_target.ts";

/** The gate's seed; change it only together with any findings it brings. */
const SEED = 20261130;

Deno.test("the upstream client frames 600 mutated responses like the reference and never desyncs", async () => {
  const report = await runFuzz(upstreamTarget(), { seed: SEED, cases: 600 });
  if (report.failures.length > 0) {
    throw new Error(report.failures.map(describeFailure).join("\n\n"));
  }
});
