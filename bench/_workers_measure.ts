/**
 * One measured round of `workers_bench.ts`: wrk against every member of a
 * target at once (a gateway, or two single-worker gateways side by side, each
 * given its share of the connections), and what their CPU budgets saw.
 * @module
 */
import { runWrk, threadCpuSeconds } from "./_processes.ts";
import type { CpuBudget } from "./_cpu_budget.ts";

/** One gateway process inside its own CPU budget. */
export interface BudgetedGateway {
  url: string;
  pid: number;
  budget: CpuBudget;
}

/** A row of the report: one gateway, or several measured together. */
export interface WorkerTarget {
  name: string;
  members: BudgetedGateway[];
}

/** One round's figures of a target. */
export interface WorkerRun {
  rps: number;
  cpuUs: number;
  /** Share of the budgets used. */
  used: number;
  throttled: number;
  /** The busiest threads' shares of the CPU, largest first. */
  threads: { name: string; share: number }[];
  /** Why the round is not clean, or `undefined`. */
  bad?: string;
}

/** Runs wrk for `duration` against every member of `target` at once. */
export async function measureTarget(
  target: WorkerTarget,
  duration: string,
  connections: number,
  topThreads: number,
): Promise<WorkerRun> {
  const { members } = target;
  const before = await Promise.all(members.map((m) => threadCpuSeconds(m.pid)));
  const throttledBefore = members.map((m) => m.budget.throttledPeriods());
  const began = performance.now();
  // The same client for every target: two wrk threads and `connections` in all.
  const share = String(Math.max(2, Math.round(connections / members.length)));
  const threads = String(Math.max(1, Math.round(2 / members.length)));
  const results = await Promise.all(
    members.map((m) => runWrk(m.url, ["-t", threads, "-c", share, "-d", duration])),
  );
  const seconds = (performance.now() - began) / 1000;
  const after = await Promise.all(members.map((m) => threadCpuSeconds(m.pid)));
  const deltas = after.flatMap((threads, i) =>
    [...threads].map(([tid, t]) => ({
      name: t.name,
      seconds: t.seconds - (before[i].get(tid)?.seconds ?? 0),
    }))
  ).sort((a, b) => b.seconds - a.seconds);
  const total = deltas.reduce((sum, t) => sum + t.seconds, 0);
  const requests = results.reduce((sum, r) => sum + r.requests, 0);
  const bad = results.find((r) => r.non2xx > 0 || r.socketErrors > 0 || !(r.requestsPerSec > 0));
  return {
    rps: results.reduce((sum, r) => sum + r.requestsPerSec, 0),
    cpuUs: total * 1e6 / requests,
    used: total / (seconds * members.reduce((sum, m) => sum + m.budget.cpus, 0)),
    throttled: members.reduce(
      (sum, m, i) => sum + m.budget.throttledPeriods() - throttledBefore[i],
      0,
    ),
    threads: deltas.slice(0, topThreads).map((t) => ({ name: t.name, share: t.seconds / total })),
    bad: bad === undefined
      ? undefined
      : `${bad.non2xx} non-2xx, ${bad.socketErrors} socket errors\n${bad.raw}`,
  };
}
