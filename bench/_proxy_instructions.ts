/**
 * Instructions a proxied request costs the gateway, counted rather than
 * timed: the gateway runs under valgrind's callgrind with counting off,
 * takes a warm-up, then counts the instructions of its process (every
 * thread, user space only: system calls are not in it) over windows of a
 * fixed number of requests (h2load over HTTP/1.1, kept-alive connections,
 * the nginx backend of `proxy_bench.ts` in its own process). On a shared
 * machine req/s and CPU time per request swing by tens of percent from
 * minute to minute; a count for the same requests does not, so a change of
 * one or two percent shows. Windows differ when a garbage collection or a
 * compilation lands in one: the lowest window is the steady cost, the
 * others say how often such work comes. The main thread's count (the
 * JavaScript, the event loop, the socket calls) is printed apart: V8's
 * helper threads (compilers, concurrent marking) vary most from window to
 * window.
 *
 * `--baseline DIR` counts another checkout the same way, one after the
 * other (a count does not depend on what else runs). With one connection
 * (the default) every request is its own turn of the event loop; more
 * connections let one turn serve several. Slow: a gateway under callgrind
 * serves about a thousand requests a second, and starts in about ten
 * seconds.
 *
 * ```sh
 * deno run -A bench/_proxy_instructions.ts [--baseline DIR] [--requests 5000] [--windows 4]
 *                                          [--connections 1] [--warmup 30000]
 * ```
 * @module
 */
// deno-lint-ignore-file no-console
import { startTaskEnv, startTaskFlags } from "../scripts/start_task_flags.ts";
import {
  type Child,
  freePort,
  requirePositiveInteger,
  requireTools,
  spawn,
  waitFor200,
} from "./_processes.ts";
import { flag, gatewayRunArgs, reportFailure, startNginx } from "./_bench_setup.ts";
import { benchManifests } from "./_proxy_manifests.ts";

/** One checkout's counts: instructions per request of each window. */
export interface InstructionCounts {
  name: string;
  /** Every thread of the process. */
  perRequest: number[];
  /** The main thread alone (the JavaScript, the event loop and the socket calls). */
  mainPerRequest: number[];
}

/** What {@linkcode countInstructions} runs. */
export interface InstructionRun {
  /** Requests per counted window. */
  requests: number;
  windows: number;
  connections: number;
  /** Requests served before counting starts (the code optimized, the pools filled). */
  warmup: number;
}

/**
 * Starts the gateway of `checkout` (ending in `/`) under callgrind in front
 * of `backendPort` and counts `run.windows` windows.
 *
 * @example
 * ```ts ignore
 * const counts = await countInstructions("gateway", "./", port, dir, children, run);
 * console.log(Math.min(...counts.perRequest));
 * ```
 */
export async function countInstructions(
  name: string,
  checkout: string,
  backendPort: number,
  dir: string,
  children: Child[],
  run: InstructionRun,
): Promise<InstructionCounts> {
  const port = freePort();
  const manifests = `${dir}/manifests-${port}`;
  await Deno.mkdir(manifests);
  await Deno.writeTextFile(`${manifests}/bench.yaml`, benchManifests(port, backendPort));
  const out = `${dir}/callgrind-${port}.out`;
  const args = gatewayRunArgs({
    checkout,
    manifests,
    denoFlags: startTaskFlags(checkout),
    args: ["--drain-delay", "0s"],
  });
  const child = spawn(
    name,
    "valgrind",
    [
      "--tool=callgrind",
      // V8 writes machine code into memory it ran code from before.
      "--smc-check=all-non-file",
      "--instr-atstart=no",
      // One dump per thread: V8's helper threads (compilers, concurrent marking) apart.
      "--separate-threads=yes",
      `--callgrind-out-file=${out}`,
      Deno.execPath(),
      ...args,
    ],
    undefined,
    startTaskEnv(checkout),
  );
  children.push(child);
  const url = `http://127.0.0.1:${port}/bench`;
  await waitFor200(url, 180_000);
  const pid = child.process.pid;
  await h2load(url, run.warmup, run.connections);
  const perRequest: number[] = [];
  const mainPerRequest: number[] = [];
  for (let w = 1; w <= run.windows; w++) {
    await control(pid, "-z");
    await control(pid, "-i", "on");
    await h2load(url, run.requests, run.connections);
    await control(pid, "-i", "off");
    await control(pid, "-d");
    const threads = await threadTotals(dir, `callgrind-${port}.out.${w}-`);
    perRequest.push(threads.all / run.requests);
    mainPerRequest.push(threads.main / run.requests);
  }
  await child.stop();
  return { name, perRequest, mainPerRequest };
}

/** The instruction totals of one dump's per-thread files (`<prefix>01` is the main thread). */
async function threadTotals(dir: string, prefix: string): Promise<{ all: number; main: number }> {
  // The dump is written a moment after the command returns.
  const main = await totalInstructions(`${dir}/${prefix}01`);
  let all = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith(prefix)) all += await totalInstructions(`${dir}/${entry.name}`);
  }
  return { all, main };
}

/** `callgrind_control OPTION... pid`. */
async function control(pid: number, ...options: string[]): Promise<void> {
  const done = await new Deno.Command("callgrind_control", {
    args: [...options, String(pid)],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!done.success) {
    throw new Error(
      `Cannot run callgrind_control ${options.join(" ")}: ${new TextDecoder().decode(done.stderr)}`,
    );
  }
}

/** Sends exactly `requests` requests over `connections` kept-alive connections; throws on any failure. */
async function h2load(url: string, requests: number, connections: number): Promise<void> {
  const done = await new Deno.Command("h2load", {
    args: ["--h1", "-n", String(requests), "-c", String(connections), "-t", "1", url],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(done.stdout);
  const ok = new RegExp(`requests: ${requests} total.* ${requests} succeeded`).test(text) &&
    /status codes: \d+ 2xx, 0 3xx, 0 4xx, 0 5xx/.test(text);
  if (!done.success || !ok) throw new Error(`Cannot complete ${requests} requests: ${text}`);
}

/** The `totals:` line of a callgrind dump, once it is written. */
async function totalInstructions(path: string): Promise<number> {
  for (let i = 0; i < 1200; i++) {
    const text = await Deno.readTextFile(path).catch(() => "");
    const total = /^totals: (\d+)/m.exec(text);
    if (total !== null) return Number(total[1]);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Cannot read the instruction total: no totals line in ${path}`);
}

if (import.meta.main) {
  const run: InstructionRun = {
    requests: Number(flag("requests", "5000")),
    windows: Number(flag("windows", "4")),
    connections: Number(flag("connections", "1")),
    warmup: Number(flag("warmup", "30000")),
  };
  for (const [name, value] of Object.entries(run)) requirePositiveInteger(name, value);
  await requireTools("the instruction count", ["valgrind", "callgrind_control", "h2load", "nginx"]);
  const baseline = flag("baseline", "");
  const checkouts: [string, string][] = [["gateway", new URL("..", import.meta.url).pathname]];
  if (baseline !== "") {
    checkouts.push(["gateway (baseline)", baseline.endsWith("/") ? baseline : baseline + "/"]);
  }
  const dir = await Deno.makeTempDir({ prefix: "serval-instructions-" });
  const children: Child[] = [];
  let failed = false;
  try {
    const backendPort = freePort();
    const template = await Deno.readTextFile(new URL("nginx.conf.template", import.meta.url));
    const conf = template
      .replaceAll("{{DIR}}", dir)
      .replaceAll("{{ROLE}}", "backend")
      .replaceAll("{{PORT}}", String(backendPort))
      .replaceAll("{{BACKEND_PORT}}", String(backendPort))
      .replaceAll(
        "{{LOCATION}}",
        'default_type text/plain; return 200 "hello from the bench backend\\n";',
      );
    children.push(startNginx(dir, "backend", conf, `${dir}/nginx-backend-startup.log`));
    await waitFor200(`http://127.0.0.1:${backendPort}/bench`);
    console.log(
      `instructions per request under callgrind: ${run.windows} windows of ${run.requests} ` +
        `requests, ${run.connections} connection(s), after ${run.warmup} warm-up requests`,
    );
    for (const [name, checkout] of checkouts) {
      const counts = await countInstructions(name, checkout, backendPort, dir, children, run);
      const windows = (ns: number[]) => ns.map((n) => n.toFixed(0)).join(", ");
      console.log(
        `  ${name.padEnd(20)} lowest ${Math.min(...counts.perRequest).toFixed(0)}  ` +
          `(${windows(counts.perRequest)}); main thread lowest ` +
          `${Math.min(...counts.mainPerRequest).toFixed(0)} (${windows(counts.mainPerRequest)})`,
      );
    }
  } catch (error) {
    failed = true;
    reportFailure("Instruction count", error, children);
  } finally {
    await Promise.allSettled(children.map((c) => c.stop()));
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  Deno.exit(failed ? 1 : 0);
}
