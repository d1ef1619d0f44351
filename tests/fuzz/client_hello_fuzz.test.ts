/**
 * Gate sample of the ClientHello fuzzer: a fixed seed, so the same cases run
 * every time; `deno task fuzz --target client-hello` runs 100k.
 */
import { describeFailure, runFuzz } from "./_runner.ts";
import { clientHelloTarget } from "./client_hello_target.ts";

/** The gate's seed; change it only together with any findings it brings. */
const SEED = 20261130;

Deno.test("the ClientHello reader agrees with the reference on 400 random and mutated hellos, whole and in pieces", async () => {
  const report = await runFuzz(clientHelloTarget(), { seed: SEED, cases: 400 });
  if (report.failures.length > 0) {
    throw new Error(report.failures.map(describeFailure).join("\n\n"));
  }
});
