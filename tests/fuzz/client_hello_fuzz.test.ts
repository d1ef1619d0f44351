/**
 * Gate sample of the ClientHello fuzzer: a fixed seed, so the same cases run
 * every time; `deno task fuzz --target client-hello` runs 100k, and
 * `--target client-hello-socket` 10k over real sockets.
 */
import { describeFailure, runFuzz } from "./_runner.ts";
import { clientHelloSocketTarget } from "./client_hello_socket_target.ts";
import { clientHelloTarget } from "./client_hello_target.ts";

/** The gate's seed; change it only together with any findings it brings. */
const SEED = 20261130;

Deno.test("the ClientHello reader agrees with the reference on 400 random and mutated hellos, whole and in pieces", async () => {
  const report = await runFuzz(clientHelloTarget(), { seed: SEED, cases: 400 });
  if (report.failures.length > 0) {
    throw new Error(report.failures.map(describeFailure).join("\n\n"));
  }
});

Deno.test("a mixed TLS port relays 60 random and mutated hellos byte for byte, or closes them, and keeps serving", async () => {
  const report = await runFuzz(clientHelloSocketTarget(), { seed: SEED, cases: 60 });
  if (report.failures.length > 0) {
    throw new Error(report.failures.map(describeFailure).join("\n\n"));
  }
});
