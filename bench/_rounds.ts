/**
 * Benchmarks run in rounds: wrk over every target, the order rotated each
 * round; per-round req/s and latency for each target and the medians,
 * printed as one table; ratios between targets from the same rounds.
 * @module
 */
// deno-lint-ignore-file no-console
import { runWrk, treeCpuSeconds, type WrkResult } from "./_processes.ts";

/** A URL under test and the name it is reported by. */
export interface Target {
  name: string;
  url: string;
  /** The serving process (its children are counted too), for CPU per request. */
  pid: number;
}

/** One wrk run and the CPU the target spent per request in it. */
export interface RoundResult extends WrkResult {
  /** Microseconds of CPU (user + system) per completed request. */
  cpuUs: number;
}

/**
 * The median of `values` (the mean of the middle two for an even count).
 *
 * @example
 * ```ts ignore
 * import { median } from "./_rounds.ts";
 * median([3, 1, 2]); // 2
 * ```
 */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Prints every target's req/s per round, then median req/s, p50, p99 and CPU per request. */
export function printRounds(results: Map<string, RoundResult[]>): void {
  const count = Math.max(...[...results.values()].map((r) => r.length));
  const head = ["target".padEnd(28)];
  for (let i = 0; i < count; i++) head.push(`#${i + 1} req/s`.padStart(12));
  head.push(
    "median".padStart(10),
    "p50 ms".padStart(9),
    "p99 ms".padStart(9),
    "CPU us/req".padStart(12),
  );
  console.log(head.join(""));
  for (const [name, runs] of results) {
    const row = [name.padEnd(28)];
    for (const r of runs) row.push(r.requestsPerSec.toFixed(0).padStart(12));
    row.push(
      median(runs.map((r) => r.requestsPerSec)).toFixed(0).padStart(10),
      median(runs.map((r) => r.p50Ms)).toFixed(2).padStart(9),
      median(runs.map((r) => r.p99Ms)).toFixed(2).padStart(9),
      median(runs.map((r) => r.cpuUs)).toFixed(1).padStart(12),
    );
    console.log(row.join(""));
  }
}

/** What {@linkcode runRounds} runs wrk with. */
export interface RoundsPlan {
  /** wrk's arguments before `-d` (threads, connections). */
  wrkArgs: string[];
  /** How long each target's one warm-up run lasts (wrk's `-d`). */
  warmup: string;
  /** How long each measured run lasts. */
  duration: string;
  rounds: number;
  /** Told of every run, warm-ups too, with a name that says which. */
  onRun(name: string, result: WrkResult): void;
}

/**
 * Warms every target up once, then runs wrk over them `rounds` times,
 * rotating the order each round so that no target always runs first after
 * a pause (other work on the machine shifts throughput from minute to
 * minute: neighbouring runs compare best), with the CPU each target's
 * process tree spent per request.
 *
 * @example
 * ```ts ignore
 * const results = await runRounds(targets, { wrkArgs: ["-c", "50"], warmup: "3s", duration: "10s", rounds: 3, onRun: check });
 * printRounds(results);
 * ```
 */
export async function runRounds(
  targets: readonly Target[],
  plan: RoundsPlan,
): Promise<Map<string, RoundResult[]>> {
  for (const t of targets) {
    plan.onRun(`${t.name} warm-up`, await runWrk(t.url, [...plan.wrkArgs, "-d", plan.warmup]));
  }
  const results = new Map<string, RoundResult[]>(targets.map((t) => [t.name, []]));
  for (let round = 0; round < plan.rounds; round++) {
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    for (const t of order) {
      const cpuBefore = await treeCpuSeconds(t.pid);
      const r = await runWrk(t.url, [...plan.wrkArgs, "-d", plan.duration]);
      const cpuUs = (await treeCpuSeconds(t.pid) - cpuBefore) * 1e6 / r.requests;
      plan.onRun(`${t.name} round ${round + 1}`, r);
      results.get(t.name)!.push({ ...r, cpuUs });
    }
  }
  return results;
}

/**
 * Whether a wrk run went clean (only 2xx, no socket errors, some requests);
 * if not, says so on stderr with wrk's output.
 */
export function cleanRun(name: string, r: WrkResult): boolean {
  if (r.non2xx > 0 || r.socketErrors > 0 || !(r.requestsPerSec > 0)) {
    console.error(
      `${name}: ${r.non2xx} non-2xx responses, ${r.socketErrors} socket errors\n${r.raw}`,
    );
    return false;
  }
  return true;
}

/**
 * `a / b = <median of the per-round req/s ratios>x req/s (rounds: …; CPU
 * per request <ratio of the medians>x)`, `b` named `bLabel` if given.
 */
export function ratioLine(
  results: Map<string, RoundResult[]>,
  a: string,
  b: string,
  bLabel = b,
): string {
  const other = results.get(b)!;
  const runs = results.get(a)!;
  const each = runs.map((r, i) => r.requestsPerSec / other[i].requestsPerSec);
  const cpu = median(runs.map((r) => r.cpuUs)) / median(other.map((r) => r.cpuUs));
  return `${a} / ${bLabel} = ${median(each).toFixed(2)}x req/s   ` +
    `(rounds: ${each.map((x) => x.toFixed(2)).join(" ")}; CPU per request ${cpu.toFixed(2)}x)`;
}
