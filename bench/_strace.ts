/**
 * System calls of a process during one benchmark run: `strace -f -c`
 * attached to it (every thread) while the run lasts, its summary parsed into
 * calls per request, so a benchmark can say how many reads and writes one
 * request costs the gateway and its peer. Tracing slows the process a lot:
 * the run's throughput is not a figure to report.
 * @module
 */

/** Calls per request of each system call seen, most frequent first. */
export type SyscallCounts = [name: string, perRequest: number][];

/** One system call's count over a run: calls and failed calls. */
export interface SyscallRow {
  calls: number;
  errors: number;
}

/**
 * Runs `run` with `strace -f -c` attached to `pid` (every thread) and
 * gives its table's rows by call name. Waits for strace to report itself
 * attached before running.
 */
export async function straceRows<T>(
  pid: number,
  run: () => Promise<T>,
): Promise<{ result: T; rows: Map<string, SyscallRow> }> {
  const out = await Deno.makeTempFile({ prefix: "serval-strace-" });
  const tracer = new Deno.Command("strace", {
    args: ["-f", "-c", "-o", out, "-p", String(pid)],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = tracer.stderr.getReader();
  let seen = "";
  // strace says "Process N attached" per thread: the first line means it runs.
  while (!seen.includes("attached")) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += new TextDecoder().decode(value);
  }
  // Let it attach the process's other threads too.
  await new Promise((resolve) => setTimeout(resolve, 500));
  let result: T;
  try {
    result = await run();
  } finally {
    tracer.kill("SIGINT");
    void reader.cancel().catch(() => {});
    await tracer.status;
  }
  const summary = await Deno.readTextFile(out);
  await Deno.remove(out).catch(() => {});
  return { result, rows: parseCounts(summary) };
}

/**
 * {@linkcode straceRows}, each call's count divided by the run's
 * `succeeded` requests, most frequent first.
 */
export async function straced<T extends { succeeded: number }>(
  pid: number,
  run: () => Promise<T>,
): Promise<{ result: T; counts: SyscallCounts }> {
  const { result, rows } = await straceRows(pid, run);
  return { result, counts: perRequest(rows, result.succeeded) };
}

/** Calls per request of each system call in a summary's table, most frequent first. */
export function parseSummary(text: string, requests: number): SyscallCounts {
  return perRequest(parseCounts(text), requests);
}

function perRequest(rows: Map<string, SyscallRow>, requests: number): SyscallCounts {
  const counts: SyscallCounts = [...rows].map(([name, row]) => [name, row.calls / requests]);
  return counts.sort((a, b) => b[1] - a[1]);
}

/**
 * The rows of `strace -c`'s table (`% time seconds usecs/call calls
 * [errors] syscall`), by call name.
 *
 * @example
 * ```ts
 * import { parseCounts } from "./_strace.ts";
 * const rows = parseCounts(" 60.00 0.1 2 80000 40000 recvfrom\n");
 * console.log(rows.get("recvfrom")); // { calls: 80000, errors: 40000 }
 * ```
 */
export function parseCounts(text: string): Map<string, SyscallRow> {
  const rows = new Map<string, SyscallRow>();
  for (const line of text.split("\n")) {
    const cells = line.trim().split(/\s+/);
    if (cells.length < 5 || !/^[\d.]+$/.test(cells[0])) continue;
    const name = cells[cells.length - 1];
    if (name === "total") continue;
    rows.set(name, { calls: Number(cells[3]), errors: cells.length > 5 ? Number(cells[4]) : 0 });
  }
  return rows;
}

/** The worker of a one-worker nginx whose master wrote `pidFile` (the worker serves). */
export async function nginxWorker(pidFile: string): Promise<number> {
  const master = (await Deno.readTextFile(pidFile)).trim();
  const children = await Deno.readTextFile(`/proc/${master}/task/${master}/children`);
  return Number(children.trim().split(/\s+/)[0]);
}
