/**
 * What `proxy_bench.ts` prints after its wrk rounds: each target's ratio to
 * nginx from the same rounds, and (with `--half-load`) every target's
 * p50/p99 at half of nginx's median rate, run in alternating rounds too,
 * with the CPU each target spent a request and the share of one core it used
 * there (a server near a full core queues, whatever its code does), how
 * busy the whole machine was (both cores near full: the tail measures the
 * run queue), and how often the target's threads slept and were preempted
 * a request (`bench/_half_load.ts` says why).
 * @module
 */
// deno-lint-ignore-file no-console
import { type FixedRateResult, runAtRate, treeContextSwitches } from "./_half_load.ts";
import { machineBusySeconds, treeCpuSeconds } from "./_processes.ts";
import { median, ratioLine, type RoundResult, type Target } from "./_rounds.ts";

/** What a half-load run cost, besides its latency. */
interface HalfLoadCosts {
  /** CPU a request, in microseconds, of the target's process tree. */
  cpuUs: number;
  /** Its CPU over the run's wall time (1: a full core). */
  core: number;
  /** All cores' busy time over the run's wall time and cores (1: every core full). */
  machine: number;
  /** Voluntary context switches of the target's threads a request. */
  sleeps: number;
  /** Involuntary context switches (preemptions) of the target's threads a request. */
  preemptions: number;
}

/** The name the peer every ratio is taken against is reported by. */
const PEER = "nginx proxy";

/**
 * Prints one line per target other than nginx: the median of its per-round
 * req/s ratios to nginx, each round's ratio, and its CPU per request against
 * nginx's.
 *
 * @example
 * ```ts ignore
 * printRatios(results, targets);
 * ```
 */
export function printRatios(results: Map<string, RoundResult[]>, targets: Target[]): void {
  console.log("");
  for (const t of targets) {
    if (t.name !== PEER) console.log(ratioLine(results, t.name, PEER, "nginx"));
  }
}

/**
 * Runs every target at half of nginx's median req/s from `results`,
 * alternating the order each round, and prints the medians; false when a
 * run saw errors.
 *
 * @example
 * ```ts ignore
 * const clean = await printHalfLoad(targets, results, 50, 3, "10s");
 * ```
 */
export async function printHalfLoad(
  targets: Target[],
  results: Map<string, RoundResult[]>,
  connections: number,
  rounds: number,
  duration: string,
): Promise<boolean> {
  const rate = median(results.get(PEER)!.map((r) => r.requestsPerSec)) / 2;
  const seconds = Math.max(1, parseInt(duration, 10) || 10);
  const runs = new Map<string, (FixedRateResult & HalfLoadCosts)[]>(
    targets.map((t) => [t.name, []]),
  );
  let clean = true;
  for (let round = 0; round < rounds; round++) {
    for (const t of targets.map((_, i) => targets[(i + round) % targets.length])) {
      const switchesBefore = await treeContextSwitches(t.pid);
      const machineBefore = await machineBusySeconds();
      const before = await treeCpuSeconds(t.pid);
      const startedAt = performance.now();
      const r = await runAtRate(t.url, rate, connections, seconds);
      const cpu = await treeCpuSeconds(t.pid) - before;
      const wall = (performance.now() - startedAt) / 1000;
      const machine = await machineBusySeconds() - machineBefore;
      const switches = await treeContextSwitches(t.pid);
      if (r.errors > 0) {
        clean = false;
        console.error(`${t.name} at half load: ${r.errors} failed or non-2xx requests`);
      }
      const done = r.achievedRps * wall;
      runs.get(t.name)!.push({
        ...r,
        cpuUs: 1e6 * cpu / done,
        core: cpu / wall,
        machine: machine / wall / navigator.hardwareConcurrency,
        sleeps: (switches.voluntary - switchesBefore.voluntary) / done,
        preemptions: (switches.involuntary - switchesBefore.involuntary) / done,
      });
    }
  }
  console.log(
    `\nAt half of nginx's rate (${rate.toFixed(0)} req/s, h2load --h1 -c${connections},` +
      " connections opened 1 ms apart):",
  );
  const nginxP99 = median(runs.get(PEER)!.map((r) => r.p99Ms));
  for (const [name, rs] of runs) {
    const p99 = median(rs.map((r) => r.p99Ms));
    console.log(
      `${name.padEnd(28)} ${median(rs.map((r) => r.achievedRps)).toFixed(0).padStart(8)} req/s` +
        `   p50 ${median(rs.map((r) => r.p50Ms)).toFixed(2)} ms   p99 ${p99.toFixed(2)} ms` +
        (name === PEER ? "" : `   (${(p99 - nginxP99).toFixed(2)} ms against nginx)`) +
        `   rounds p99: ${rs.map((r) => r.p99Ms.toFixed(2)).join(" ")}` +
        `   CPU ${median(rs.map((r) => r.cpuUs)).toFixed(1)} us/req,` +
        ` ${(100 * median(rs.map((r) => r.core))).toFixed(0)}% of a core,` +
        ` machine ${(100 * median(rs.map((r) => r.machine))).toFixed(0)}% busy,` +
        ` ${median(rs.map((r) => r.sleeps)).toFixed(2)} sleeps and` +
        ` ${median(rs.map((r) => r.preemptions)).toFixed(2)} preemptions a request`,
    );
  }
  return clean;
}
