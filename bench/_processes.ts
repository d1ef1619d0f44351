/**
 * Process helpers for the benchmark: free ports, spawning children that are
 * always killed, waiting for a URL to answer, and running wrk.
 * @module
 */
export { freePort } from "../tests/_helpers/gateway_process.ts";

/** The first of `tools` that is not on PATH, or undefined when all are. */
export async function missingTool(tools: readonly string[]): Promise<string | undefined> {
  for (const tool of tools) {
    const found = await new Deno.Command("sh", {
      args: ["-c", `command -v ${tool}`],
      stdout: "null",
    })
      .output();
    if (!found.success) return tool;
  }
  return undefined;
}

/** Exits 2 with `Cannot run <what>: <tool> is not installed` when a tool is missing. */
export async function requireTools(what: string, tools: readonly string[]): Promise<void> {
  const missing = await missingTool(tools);
  if (missing === undefined) return;
  // deno-lint-ignore no-console
  console.error(`Cannot run ${what}: ${missing} is not installed`);
  Deno.exit(2);
}

/** Exits 2 unless flag `--name`'s value is a positive integer. */
export function requirePositiveInteger(name: string, value: number): void {
  if (Number.isInteger(value) && value >= 1) return;
  // deno-lint-ignore no-console
  console.error(`Cannot run the benchmark: --${name} must be a positive integer, not "${value}"`);
  Deno.exit(2);
}

/** A child process that is killed on dispose. */
export interface Child extends AsyncDisposable {
  name: string;
  process: Deno.ChildProcess;
  stop(): Promise<void>;
}

/**
 * Spawns `command args`, output discarded (stderr kept for errors). With
 * `stderrPath`, stderr is appended to that file instead (through `sh -c
 * exec`, so the pid stays the command's), for children that log a lot.
 */
export function spawn(
  name: string,
  command: string,
  args: string[],
  stderrPath?: string,
  env: Record<string, string> = {},
): Child {
  const [cmd, argv] = stderrPath === undefined
    ? [command, args]
    : ["sh", ["-c", 'exec "$0" "$@" 2>>"$SERVAL_BENCH_STDERR"', command, ...args]];
  const process = new Deno.Command(cmd, {
    args: argv,
    env: stderrPath === undefined ? env : { ...env, SERVAL_BENCH_STDERR: stderrPath },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // Keep the last lines of stderr for error reports without blocking the child.
  const tail: string[] = [];
  const draining = process.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({
      write(text) {
        tail.push(text);
        if (tail.length > 20) tail.shift();
      },
    }),
  ).catch(() => {});
  let stopped = false;
  const child: Child = {
    name,
    process,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        process.kill("SIGTERM");
      } catch { /* already gone */ }
      const timer = setTimeout(() => {
        try {
          process.kill("SIGKILL");
        } catch { /* gone */ }
      }, 3000);
      await process.status;
      clearTimeout(timer);
      await draining;
    },
    [Symbol.asyncDispose]: () => child.stop(),
  };
  Object.defineProperty(child, "stderrTail", { get: () => tail.join("") });
  return child;
}

/** Waits until `url` answers 200 (at most `timeoutMs`). */
export async function waitFor200(
  url: string,
  timeoutMs = 20_000,
  headers: HeadersInit = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { headers });
      await res.body?.cancel();
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Cannot reach ${url} within ${timeoutMs} ms: ${last}`);
}

/** One wrk run's figures. */
export interface WrkResult {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  socketErrors: number;
  /** Requests completed in the run. */
  requests: number;
  raw: string;
}

/** Runs wrk with `--latency` and parses its report. */
export async function runWrk(url: string, args: string[]): Promise<WrkResult> {
  const out = await new Deno.Command("wrk", {
    args: [...args, "--latency", url],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const raw = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`wrk failed: ${raw}`);
  const rps = Number(/Requests\/sec:\s+([0-9.]+)/.exec(raw)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(raw)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(raw);
  const socketErrors = socket ? socket.slice(1).reduce((n, v) => n + Number(v), 0) : 0;
  return {
    requestsPerSec: rps,
    p50Ms: latencyMs(raw, "50%"),
    p99Ms: latencyMs(raw, "99%"),
    non2xx,
    socketErrors,
    requests: Number(/(\d+) requests in/.exec(raw)?.[1] ?? NaN),
    raw,
  };
}

function latencyMs(raw: string, percentile: string): number {
  const m = new RegExp(`\\s${percentile}\\s+([0-9.]+)(us|ms|s)`).exec(raw);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === "us" ? v / 1000 : m[2] === "s" ? v * 1000 : v;
}

/**
 * CPU seconds (user + system) used so far by `pid` and its direct children
 * (nginx's worker under its master); `NaN` where `/proc` is not available.
 * Read through `sh`, because Deno only opens `/proc` files with `--allow-all`.
 * Per-request CPU is steadier than req/s on a shared machine: another
 * process taking a core lowers req/s but hardly the CPU each request costs.
 */
export async function treeCpuSeconds(pid: number): Promise<number> {
  const script = `cat /proc/${pid}/stat; for c in $(cat /proc/${pid}/task/*/children); do ` +
    `cat /proc/$c/stat 2>/dev/null; done`;
  const out = await new Deno.Command("sh", {
    args: ["-c", script],
    stdout: "piped",
    stderr: "null",
  })
    .output();
  if (!out.success) return NaN;
  let ticks = 0;
  for (const stat of new TextDecoder().decode(out.stdout).split("\n")) {
    if (stat === "") continue;
    // Fields after the command name, which may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / 100; // USER_HZ is 100 on Linux.
}

/**
 * Busy CPU seconds of all cores so far (`/proc/stat`: every state but idle
 * and iowait): with the targets' own figures, what a run cost the whole
 * machine, the load generator and everything else running included.
 * `NaN` where `/proc` is not available.
 */
export async function machineBusySeconds(): Promise<number> {
  const out = await new Deno.Command("sh", {
    args: ["-c", "head -n 1 /proc/stat"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const fields = new TextDecoder().decode(out.stdout).trim().split(/\s+/).slice(1).map(Number);
  if (!out.success || fields.length < 5) return NaN;
  const [user, nice, system, _idle, _iowait, ...rest] = fields;
  // guest and guest_nice are already counted in user and nice.
  const busy = user + nice + system + rest.slice(0, 3).reduce((a, b) => a + b, 0);
  return busy / 100;
}

/** One thread's name (`comm`) and CPU seconds (user + system) so far. */
export interface ThreadCpu {
  name: string;
  seconds: number;
}

/**
 * The CPU of each thread of `pid` so far, by thread id (the workers'
 * isolates, the main isolate and the runtime's threads of one gateway
 * process). Empty where `/proc` is not available.
 */
export async function threadCpuSeconds(pid: number): Promise<Map<number, ThreadCpu>> {
  const out = await new Deno.Command("sh", {
    args: ["-c", `cat /proc/${pid}/task/*/stat`],
    stdout: "piped",
    stderr: "null",
  }).output();
  const threads = new Map<number, ThreadCpu>();
  for (const stat of new TextDecoder().decode(out.stdout).split("\n")) {
    if (stat === "") continue;
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    threads.set(Number(stat.slice(0, stat.indexOf(" "))), {
      name: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")),
      seconds: (Number(fields[11]) + Number(fields[12])) / 100,
    });
  }
  return threads;
}
