/**
 * `deno task fuzz`: the fuzzers of `tests/fuzz/` at full size (100k cases a
 * target by default, 10k over real sockets), with a printed seed. The gate (`deno task test`)
 * runs a fixed-seed sample of each; this is the long run.
 *
 * ```sh
 * deno task fuzz                                   # every target, a random seed
 * deno task fuzz --target upstream --cases 20000   # one target
 * deno task fuzz --target upstream --seed 4 --case 2345   # replay one case
 * ```
 * Prints cases, cases/s and every failure (seed, case, input in hex);
 * exits 1 when any case failed.
 * @module
 */
// deno-lint-ignore-file no-console
import { maybeFlag } from "./_flags.ts";
import { describeFailure, type FuzzTarget, runFuzz } from "../tests/fuzz/_runner.ts";
import { clientHelloSocketTarget } from "../tests/fuzz/client_hello_socket_target.ts";
import { clientHelloTarget } from "../tests/fuzz/client_hello_target.ts";
import { h2Target } from "../tests/fuzz/h2_target.ts";
import { hpackTarget } from "../tests/fuzz/hpack_target.ts";
import { requestTarget } from "../tests/fuzz/request_target.ts";
import { translateTarget } from "../tests/fuzz/translate_target.ts";
import { upstreamSocketTarget } from "../tests/fuzz/upstream_socket_target.ts";
import { upstreamTarget } from "../tests/fuzz/upstream_target.ts";

/** Each target with its default case count (the socket sample is smaller: it is slower). */
const TARGETS: Record<string, { make: () => FuzzTarget; cases: number }> = {
  "client-hello": { make: clientHelloTarget, cases: 100_000 },
  "client-hello-socket": { make: clientHelloSocketTarget, cases: 10_000 },
  h2: { make: h2Target, cases: 100_000 },
  hpack: { make: hpackTarget, cases: 100_000 },
  request: { make: requestTarget, cases: 100_000 },
  translate: { make: translateTarget, cases: 100_000 },
  upstream: { make: upstreamTarget, cases: 100_000 },
  "upstream-socket": { make: upstreamSocketTarget, cases: 10_000 },
};

function number(name: string, fallback: number): number {
  const text = maybeFlag(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    console.error(`Cannot read --${name}: current value is ${JSON.stringify(text)}`);
    Deno.exit(2);
  }
  return value;
}

const names = (maybeFlag("target") ?? Object.keys(TARGETS).join(",")).split(",");
const unknown = names.filter((n) => !(n in TARGETS));
if (unknown.length > 0) {
  console.error(
    `Cannot select fuzz targets: unknown name "${unknown.join(",")}" (known: ${
      Object.keys(TARGETS).join(", ")
    })`,
  );
  Deno.exit(2);
}
const seed = number("seed", crypto.getRandomValues(new Uint32Array(1))[0]);
const replay = maybeFlag("case") === undefined ? undefined : number("case", 0);
const casesFlag = maybeFlag("cases") === undefined ? undefined : number("cases", 0);

let failed = 0;
for (const name of names) {
  const cases = replay !== undefined ? 1 : casesFlag ?? TARGETS[name].cases;
  console.log(
    `fuzz ${name}: seed ${seed}, ${cases} case(s)${replay === undefined ? "" : ` from ${replay}`}`,
  );
  const target = TARGETS[name].make();
  const report = await runFuzz(target, {
    seed,
    cases,
    first: replay ?? 0,
    maxFailures: 20,
  });
  const rate = report.cases / (report.elapsedMs / 1000);
  console.log(
    `fuzz ${name}: ${report.cases} cases in ${(report.elapsedMs / 1000).toFixed(1)} s ` +
      `(${rate.toFixed(0)} cases/s), ${report.failures.length} failure(s), seed ${seed}`,
  );
  if (target.summary !== undefined) console.log(`fuzz ${name}: ${target.summary()}`);
  for (const failure of report.failures) console.log(describeFailure(failure) + "\n");
  failed += report.failures.length;
}
if (failed > 0) Deno.exit(1);
