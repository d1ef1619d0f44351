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

/**
 * Runs `run` with `strace -f -c` attached to `pid`; `requests()` (read after
 * the run) divides the counts. Waits for strace to report itself attached
 * before running.
 */
export async function straced<T extends { succeeded: number }>(
  pid: number,
  run: () => Promise<T>,
): Promise<{ result: T; counts: SyscallCounts }> {
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
  await new Promise((resolve) => setTimeout(resolve, 300));
  const result = await run();
  tracer.kill("SIGINT");
  void reader.cancel().catch(() => {});
  await tracer.status;
  const summary = await Deno.readTextFile(out);
  await Deno.remove(out).catch(() => {});
  return { result, counts: parseSummary(summary, result.succeeded) };
}

/** The rows of `strace -c`'s table: `% time seconds usecs/call calls [errors] syscall`. */
export function parseSummary(text: string, requests: number): SyscallCounts {
  const counts: SyscallCounts = [];
  for (const line of text.split("\n")) {
    const cells = line.trim().split(/\s+/);
    if (cells.length < 5 || !/^[\d.]+$/.test(cells[0])) continue;
    const name = cells[cells.length - 1];
    if (name === "total") continue;
    counts.push([name, Number(cells[3]) / requests]);
  }
  return counts.sort((a, b) => b[1] - a[1]);
}

/** The worker of a one-worker nginx whose master wrote `pidFile` (the worker serves). */
export async function nginxWorker(pidFile: string): Promise<number> {
  const master = (await Deno.readTextFile(pidFile)).trim();
  const children = await Deno.readTextFile(`/proc/${master}/task/${master}/children`);
  return Number(children.trim().split(/\s+/)[0]);
}
