/**
 * Gate sample of the upstream fuzzer over real loopback sockets: a fixed
 * seed; `deno task fuzz --target upstream-socket` runs more.
 */
import { describeFailure, runFuzz } from "./_runner.ts";
import { upstreamSocketTarget } from "./upstream_socket_target.ts";

/** The gate's seed; change it only together with any findings it brings. */
const SEED = 20261130;

Deno.test("the upstream client over loopback sockets frames 150 mutated responses like the reference and never reuses a connection after unclean framing", async () => {
  const report = await runFuzz(upstreamSocketTarget(), { seed: SEED, cases: 150 });
  if (report.failures.length > 0) {
    throw new Error(report.failures.map(describeFailure).join("\n\n"));
  }
});
