/**
 * The HTTP proxy benchmark (first part of `deno task bench`): the gateway against nginx as a reverse proxy, on the
 * same loopback backend (nginx, one worker, fixed tiny response).
 *
 * It starts the backend, the gateway as the real process (`main.ts run
 * --manifests <tmp>`, with the runtime flags of the `start` task in
 * `deno.json`), and nginx (one worker, upstream keepalive) in front of the
 * same backend. After one warm-up per target it runs wrk `--rounds` times
 * over every target, alternating the order, because other work on the
 * machine shifts throughput by tens of percent from minute to minute: the
 * gateway/nginx ratio of each round compares neighbouring runs, and the
 * report gives the median. It prints req/s and p50/p99 per round and their
 * medians, then the ratio; it exits 1 when any run saw non-2xx responses or
 * socket errors.
 *
 * `--baseline DIR` adds a second gateway from another checkout (e.g.
 * `git archive HEAD | tar -x -C DIR`) to the same rounds, for A/B of a
 * change (with `--own-h1`, its own-engine gateway too). `--cpu-prof DIR`
 * writes the gateways' V8 CPU profiles there, in a directory named after
 * each gateway (with `--own-h1`, the Deno-engine gateway too; summarise
 * them with `bench/_cpu_profile.ts --busy`). `--workers N` (N > 1) adds a
 * gateway started with `--workers N`, labelled `gateway (N workers)`, to the
 * same rounds; the default stays one gateway worker against one nginx worker.
 * `--upgrades` adds gateways started with `--upgrades off` and `--upgrades
 * on` (the default `gateway` runs `auto`, which serves this port directly):
 * what the upgrade-aware upstream client costs every request, and what the
 * relay of a port that passes upgrades costs its plain requests.
 * `--own-h1` adds a gateway started with `--http1-engine deno` (Deno's HTTP
 * engine instead of our HTTP/1.1 server, the default on plain ports),
 * labelled `gateway (Deno's HTTP/1.1 engine)`, and the handler with the
 * complete client behind each engine with the same connection settings
 * (`bench/_gateway_server.ts --http1-engine`), the engines alone.
 * `--access-log` adds a gateway started with `--access-log on --log-level
 * info`, labelled `gateway (access log)`, its log appended to a file in the
 * run's temporary directory (as nginx would write its access log).
 * `--half-load` then measures each target's p50/p99 at half of nginx's
 * median rate (h2load `--rps`, as many connections, alternating order, the
 * same number of rounds; `bench/_half_load.ts`), the latency issue 12 asks
 * about: at saturation p99 mostly measures queueing.
 * `--clients` also compares the
 * pooled HTTP/1.1 client with a pooled `fetch` client on the same handler
 * (`bench/_gateway_server.ts`). `--ceiling` adds the yardsticks: `Deno.serve`
 * with the minimal pooled client of `bench/_minimal_client.ts` and nothing
 * else (`bench/_minimal_proxy.ts`, the ceiling of a proxy on `Deno.serve`),
 * `Deno.listen` + `Deno.connect` with a minimal HTTP/1.1 proxy on raw sockets
 * (`bench/_raw_proxy.ts`, the ceiling below `Deno.serve`), that proxy on libc's sockets and
 * epoll through FFI (`bench/_ffi_proxy.ts`, Linux x86_64: as it is, polling before it waits, and
 * with byte-level heads; what is left without the runtime's sockets), and the real handler on that minimal client and on the complete one, so a
 * run shows what the handler and what the complete client cost. Everything binds 127.0.0.1 and every child is
 * killed at the end, also on failure. The targets are started by
 * `bench/_proxy_targets.ts`; the ratios and the half-load lines are printed by
 * `bench/_proxy_report.ts`.
 *
 * ```sh
 * deno run -A bench/proxy_bench.ts [--duration 10s] [--rounds 3] [--connections 50] [--threads 2] [--warmup 3s]
 *                                   [--baseline DIR] [--cpu-prof DIR] [--clients] [--workers N] [--access-log] [--upgrades]
 *                                   [--half-load] [--ceiling] [--own-h1]
 * ```
 * @module
 */
// deno-lint-ignore-file no-console
import {
  type Child,
  requirePositiveInteger,
  requireTools,
  runWrk,
  waitFor200,
  type WrkResult,
} from "./_processes.ts";
import { cleanRun, printRounds, runRounds } from "./_rounds.ts";
import { flag, reportFailure } from "./_bench_setup.ts";
import { startProxyTargets } from "./_proxy_targets.ts";
import { printHalfLoad, printRatios } from "./_proxy_report.ts";

const duration = flag("duration", "10s");
const warmup = flag("warmup", "3s");
const connections = flag("connections", "50");
const threads = flag("threads", "2");
const rounds = Number(flag("rounds", "3"));
const halfLoad = Deno.args.includes("--half-load");
const workers = Number(flag("workers", "1"));

await requireTools("the benchmark", halfLoad ? ["nginx", "wrk", "h2load"] : ["nginx", "wrk"]);
requirePositiveInteger("workers", workers);
requirePositiveInteger("rounds", rounds);

const dir = await Deno.makeTempDir({ prefix: "serval-bench-" });
const children: Child[] = [];
let failed = false;
try {
  const { backendUrl, targets } = await startProxyTargets(
    {
      root: new URL("..", import.meta.url).pathname,
      baseline: flag("baseline", ""),
      cpuProf: flag("cpu-prof", ""),
      compareClients: Deno.args.includes("--clients"),
      ceiling: Deno.args.includes("--ceiling"),
      accessLog: Deno.args.includes("--access-log"),
      upgrades: Deno.args.includes("--upgrades"),
      ownH1: Deno.args.includes("--own-h1"),
      workers,
    },
    dir,
    children,
  );
  for (const t of [{ url: backendUrl }, ...targets]) await waitFor200(t.url);

  const check = (name: string, r: WrkResult) => {
    failed = !cleanRun(name, r) || failed;
  };
  const wrkArgs = ["-t", threads, "-c", connections];
  const direct = await runWrk(backendUrl, [...wrkArgs, "-d", duration]);
  check("backend (direct)", direct);
  const results = await runRounds(targets, { wrkArgs, warmup, duration, rounds, onRun: check });

  console.log(
    `wrk -t${threads} -c${connections} -d${duration} x ${rounds} rounds ` +
      `(after ${warmup} warm-up), 127.0.0.1; backend direct: ` +
      `${direct.requestsPerSec.toFixed(0)} req/s\n`,
  );
  printRounds(results);
  printRatios(results, targets);
  if (halfLoad) {
    const clean = await printHalfLoad(targets, results, Number(connections), rounds, duration);
    failed = !clean || failed;
  }
  if (failed) console.log("\nFAILED: some runs saw errors (see above)");
} catch (error) {
  failed = true;
  reportFailure("Benchmark", error, children);
} finally {
  await Promise.allSettled(children.map((c) => c.stop()));
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
Deno.exit(failed ? 1 : 0);
