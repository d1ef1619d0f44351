/**
 * Gate sample of the HPACK fuzzer: a fixed seed, so the same cases run
 * every time; `deno task fuzz --target hpack` runs 100k.
 */
import { describeFailure, runFuzz } from "./_runner.ts";
import { hpackTarget } from "./hpack_target.ts";

/** The gate's seed; change it only together with any findings it brings. */
const SEED = 20261130;

Deno.test("1000 HPACK cases: clean blocks round-trip with tables in step, hostile blocks decode within the limits or throw HpackError", async () => {
  const report = await runFuzz(hpackTarget(), { seed: SEED, cases: 1000 });
  if (report.failures.length > 0) {
    throw new Error(report.failures.map(describeFailure).join("\n\n"));
  }
});
