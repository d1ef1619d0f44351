/**
 * Figures of a benchmark run in rounds: per-round req/s and latency for each
 * target, and the medians, printed as one table.
 * @module
 */
// deno-lint-ignore-file no-console
import type { WrkResult } from "./_processes.ts";

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
