/**
 * Gate sample of the HTTP/2 connection fuzzer: a fixed seed, so the same
 * cases run every time; `deno task fuzz --target h2` runs 100k.
 */
import { describeFailure, runFuzz } from "./_runner.ts";
import { h2Target } from "./h2_target.ts";

/** The gate's seed; change it only together with any findings it brings. */
const SEED = 20261130;

Deno.test("400 generated and mutated frame sequences never throw out of or hang an HTTP/2 connection", async () => {
  const report = await runFuzz(h2Target(), { seed: SEED, cases: 400 });
  if (report.failures.length > 0) {
    throw new Error(report.failures.map(describeFailure).join("\n\n"));
  }
});
