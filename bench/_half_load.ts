/**
 * Latency at a fixed request rate (issue 12 asks for the p99 at half load,
 * not at saturation, where it mostly measures queueing): h2load over
 * HTTP/1.1 with `--rps` per connection and a per-request log, from which the
 * percentiles are read (h2load prints only mean and spread).
 *
 * The connections open one a millisecond (`-r 1 --rate-period 1ms`), not
 * all at once: each connection's `--rps` timer runs from its own start, so
 * connections opened together send together, and a server then sees every
 * connection's request in the same instant, each period. Measured with 50
 * connections at 4,000 req/s on the same gateway, opened at once: p50 3.7 ms,
 * p99 17.5 ms; opened one a millisecond: p50 0.4 ms, p99 3.3 ms. Opened
 * apart, the requests arrive spread over each period, as from many
 * independent clients, and the percentiles measure the server, not the
 * burst. (`-r` rules out `-D`: the run is `-n` requests, the rate times the
 * seconds, its 1 ms-a-connection ramp included.)
 *
 * Why context switches are counted beside the percentiles: at half of
 * nginx's rate on a 2-core machine that also runs the load generator and
 * the backend, a server's tail is mostly time it spends runnable but not
 * running. A preemption (an involuntary switch: a peer woken by the
 * server's own write takes its core) holds up every request of the batch
 * in hand, and a sleep (a voluntary one) costs a wake-up that may wait
 * for a core. Measured here (2026-12-01, load 4-5, 35-41k req/s): the
 * gateway was preempted 0.3-0.95 times a request, nginx 0.3-0.6.
 * @module
 */

/** One fixed-rate run's figures. */
export interface FixedRateResult {
  /** Requests per second actually completed. */
  achievedRps: number;
  p50Ms: number;
  p99Ms: number;
  /** Failed, errored or non-2xx requests. */
  errors: number;
}

/**
 * Runs `url` at about `rps` requests per second over `connections`
 * kept-alive HTTP/1.1 connections for `seconds`.
 *
 * @example
 * ```ts ignore
 * import { runAtRate } from "./_half_load.ts";
 * const r = await runAtRate("http://127.0.0.1:8080/", 10_000, 50, 10);
 * console.log(r.p99Ms);
 * ```
 */
export async function runAtRate(
  url: string,
  rps: number,
  connections: number,
  seconds: number,
): Promise<FixedRateResult> {
  const log = await Deno.makeTempFile({ prefix: "serval-rate-" });
  try {
    const perConnection = Math.max(1, Math.round(rps / connections));
    const out = await new Deno.Command("h2load", {
      args: [
        "--h1",
        "-c",
        String(connections),
        "--rps",
        String(perConnection),
        "-n",
        String(perConnection * connections * seconds),
        "-r",
        "1",
        "--rate-period",
        "1ms",
        "--log-file",
        log,
        url,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const raw = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    if (!out.success) throw new Error(`Cannot run h2load at a fixed rate: ${raw}`);
    const durations: number[] = [];
    let errors = 0;
    for (const line of (await Deno.readTextFile(log)).split("\n")) {
      const [, status, micros] = line.split("\t");
      if (micros === undefined) continue;
      if (!status.startsWith("2")) errors++;
      durations.push(Number(micros) / 1000);
    }
    durations.sort((a, b) => a - b);
    const at = (q: number) =>
      durations[Math.min(durations.length - 1, Math.floor(q * durations.length))];
    const failed = Number(/(\d+) failed/.exec(raw)?.[1] ?? 0);
    const errored = Number(/(\d+) errored/.exec(raw)?.[1] ?? 0);
    return {
      achievedRps: Number(/finished in [^,]+, ([\d.]+) req\/s/.exec(raw)?.[1] ?? NaN),
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      errors: errors + failed + errored,
    };
  } finally {
    await Deno.remove(log).catch(() => {});
  }
}

/** Context switches so far of a process tree's threads. */
export interface ContextSwitches {
  /** The thread gave up its core (a wait). */
  voluntary: number;
  /** The thread was taken off its core while it could run (a preemption). */
  involuntary: number;
}

/**
 * The context switches of every thread of `pid` and of its direct
 * children's (nginx's worker under its master); zeros where `/proc` is not
 * available. Read through `sh`, as `treeCpuSeconds` reads its figures.
 *
 * @example
 * ```ts ignore
 * import { treeContextSwitches } from "./_half_load.ts";
 * const { involuntary } = await treeContextSwitches(Deno.pid);
 * ```
 */
export async function treeContextSwitches(pid: number): Promise<ContextSwitches> {
  const script =
    `cat /proc/${pid}/task/*/status; for c in $(cat /proc/${pid}/task/*/children); do ` +
    `cat /proc/$c/task/*/status 2>/dev/null; done`;
  const out = await new Deno.Command("sh", {
    args: ["-c", script],
    stdout: "piped",
    stderr: "null",
  }).output();
  const counts = { voluntary: 0, involuntary: 0 };
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const m = /^(non)?voluntary_ctxt_switches:\s+(\d+)/.exec(line);
    if (m) counts[m[1] ? "involuntary" : "voluntary"] += Number(m[2]);
  }
  return counts;
}
