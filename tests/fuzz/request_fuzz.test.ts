/**
 * Gate sample of the request-path fuzzer: a fixed seed, so the same cases
 * run every time; `deno task fuzz --target request` runs 100k.
 */
import { describeFailure, runFuzz } from "./_runner.ts";
import { requestTarget } from "./request_target.ts";

/** The gate's seed; change it only together with any findings it brings. */
const SEED = 20261130;

Deno.test("300 mutated requests with a canary behind each: well-formed 4xx or the backend's answer, nothing smuggled, route headers kept, the data plane still up", async () => {
  const report = await runFuzz(requestTarget(), { seed: SEED, cases: 300 });
  if (report.failures.length > 0) {
    throw new Error(report.failures.map(describeFailure).join("\n\n"));
  }
});
