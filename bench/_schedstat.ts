/**
 * How long a thread ran and how long it waited for a CPU while runnable,
 * from Linux's `/proc/PID/task/TID/schedstat` (ns on the CPU, ns runnable on
 * a run queue, time slices). Read around a span, it tells a span a process
 * spent working from one it spent waiting for the machine's other load,
 * which on a shared two-core machine is often the larger share of an
 * outlier.
 * @module
 */

/** One thread's counters, ms. */
export interface SchedStat {
  runMs: number;
  waitMs: number;
}

/** The thread `tid` of process `pid` (default its main thread); undefined where unreadable. */
export function readSchedStat(pid: number, tid = pid): SchedStat | undefined {
  try {
    const [run, wait] = Deno.readTextFileSync(`/proc/${pid}/task/${tid}/schedstat`).split(" ");
    return { runMs: Number(run) / 1e6, waitMs: Number(wait) / 1e6 };
  } catch {
    return undefined;
  }
}

/** `after` minus `before`, or undefined when either is. */
export function schedDelta(
  before: SchedStat | undefined,
  after: SchedStat | undefined,
): SchedStat | undefined {
  if (before === undefined || after === undefined) return undefined;
  return { runMs: after.runMs - before.runMs, waitMs: after.waitMs - before.waitMs };
}
