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
 * `--backend-varying` gives every backend answer a request id of its own
 * (`X-Request-Id`), heads that never repeat. `--baseline DIR` counts another checkout the same way, one after the
 * other (a count does not depend on what else runs). `--yardsticks` also
 * counts nginx as the proxy and the raw proxies of `proxy_bench.ts
 * --ceiling` (`bench/_raw_proxy.ts`, `bench/_ffi_proxy.ts`). `--keep DIR`
 * works in DIR and leaves the dumps there (`callgrind_annotate`). With one connection
 * (the default) every request is its own turn of the event loop; more
 * connections let one turn serve several. Slow: a gateway under callgrind
 * serves about a thousand requests a second, and starts in about ten
 * seconds.
 *
 * ```sh
 * deno run -A bench/_proxy_instructions.ts [--baseline DIR] [--requests 5000] [--windows 4]
 *                                          [--connections 1] [--warmup 30000] [--rps N] [--yardsticks] [--keep DIR]
 *                                          [--backend-varying]
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
import {
  BENCH_BACKEND_LOCATION,
  flag,
  gatewayCheckouts,
  gatewayRunArgs,
  nginxTemplateConf,
  reportFailure,
  startBenchBackend,
  VARYING_BACKEND_LOCATION,
} from "./_bench_setup.ts";
import { benchManifests } from "./_proxy_manifests.ts";
import { FFI_PROXIES, NGINX_PROXY_LOCATION } from "./_proxy_targets.ts";

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

/** The run the flags `--requests`, `--windows`, `--connections` and `--warmup` ask for, else `defaults`. */
export function instructionRunFlags(defaults: InstructionRun): InstructionRun {
  const run: InstructionRun = {
    requests: Number(flag("requests", String(defaults.requests))),
    windows: Number(flag("windows", String(defaults.windows))),
    connections: Number(flag("connections", String(defaults.connections))),
    warmup: Number(flag("warmup", String(defaults.warmup))),
  };
  for (const [name, value] of Object.entries(run)) requirePositiveInteger(name, value);
  return run;
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
  const args = gatewayRunArgs({
    checkout,
    manifests,
    denoFlags: startTaskFlags(checkout),
    args: ["--drain-delay", "0s"],
  });
  const command = { argv: [Deno.execPath(), ...args], env: startTaskEnv(checkout), port };
  return await countProcess(name, command, dir, children, run);
}

/** A process serving the bench path on `port` of 127.0.0.1: its command line and environment. */
export interface CountedCommand {
  argv: string[];
  env: Record<string, string>;
  port: number;
}

/**
 * Runs `command` under callgrind and counts `run.windows` windows, as
 * {@linkcode countInstructions} does for the gateway.
 *
 * @example
 * ```ts ignore
 * const command = { argv: ["nginx", "-c", conf], env: {}, port };
 * const counts = await countProcess("nginx", command, dir, children, run);
 * ```
 */
export async function countProcess(
  name: string,
  command: CountedCommand,
  dir: string,
  children: Child[],
  run: InstructionRun,
): Promise<InstructionCounts> {
  const { port } = command;
  const out = `${dir}/callgrind-${port}.out`;
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
      ...command.argv,
    ],
    undefined,
    command.env,
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
export async function threadTotals(
  dir: string,
  prefix: string,
): Promise<{ all: number; main: number }> {
  // The dump is written a moment after the command returns.
  const main = await totalInstructions(`${dir}/${prefix}01`);
  let all = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith(prefix)) all += await totalInstructions(`${dir}/${entry.name}`);
  }
  return { all, main };
}

/** `callgrind_control OPTION... pid`. */
export async function control(pid: number, ...options: string[]): Promise<void> {
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

/**
 * `--rps N`: each connection sends N requests a second (h2load `--rps`),
 * the connections opened a millisecond apart, so the loop idles between
 * arrivals as at half load, where without it requests come back to back.
 */
const RATE = flag("rps", "") === ""
  ? []
  : ["--rps", flag("rps", ""), "-r", "1", "--rate-period", "1ms"];

/** Sends exactly `requests` requests over `connections` kept-alive connections; throws on any failure. */
async function h2load(url: string, requests: number, connections: number): Promise<void> {
  const done = await new Deno.Command("h2load", {
    args: ["--h1", "-n", String(requests), "-c", String(connections), "-t", "1", ...RATE, url],
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

/**
 * Writes nginx's proxy config (one process, no master: callgrind follows no
 * fork) to `dir`: a plain server on `port` in front of `backendPort`, and any
 * `servers` (nginx `server` blocks) beside it; returns its path.
 */
export async function writeNginxProxyConf(
  dir: string,
  port: number,
  backendPort: number,
  servers = "",
): Promise<string> {
  const conf = `${dir}/nginx-proxy.conf`;
  const text = nginxTemplateConf(dir, "proxy", port, backendPort, NGINX_PROXY_LOCATION)
    .replace("daemon off;", "daemon off;\nmaster_process off;");
  await Deno.writeTextFile(
    conf,
    servers === "" ? text : text.replace(/\n}\s*$/, `\n${servers}}\n`),
  );
  return conf;
}

/**
 * The yardsticks `--yardsticks` adds, on `backendPort`: nginx as the proxy
 * (one process: callgrind follows no fork), the raw proxy on the runtime's
 * sockets, and the same proxy on libc's sockets by FFI (Linux x86_64).
 */
async function yardsticks(dir: string, backendPort: number): Promise<[string, CountedCommand][]> {
  const nginxPort = freePort();
  const conf = await writeNginxProxyConf(dir, nginxPort, backendPort);
  const script = (file: string, permissions: string[], args: string[] = []): CountedCommand => {
    const port = freePort();
    const path = new URL(file, import.meta.url).pathname;
    const argv = [Deno.execPath(), "run", "--allow-net", ...permissions, path, ...args];
    return {
      argv: [...argv, "--port", `${port}`, "--backend-port", `${backendPort}`],
      env: {},
      port,
    };
  };
  const list: [string, CountedCommand][] = [
    ["nginx proxy", { argv: ["nginx", "-p", dir, "-c", conf], env: {}, port: nginxPort }],
    ["raw proxy", script("_raw_proxy.ts", [])],
  ];
  if (Deno.build.os === "linux" && Deno.build.arch === "x86_64") {
    const ffi = ["--allow-ffi=/lib/x86_64-linux-gnu/libc.so.6"];
    for (const [name, args] of FFI_PROXIES) list.push([name, script("_ffi_proxy.ts", ffi, args)]);
  }
  return list;
}

if (import.meta.main) {
  const run = instructionRunFlags({ requests: 5000, windows: 4, connections: 1, warmup: 30000 });
  await requireTools("the instruction count", ["valgrind", "callgrind_control", "h2load", "nginx"]);
  const checkouts = gatewayCheckouts();
  const keep = flag("keep", "");
  const dir = keep !== "" ? keep : await Deno.makeTempDir({ prefix: "serval-instructions-" });
  const children: Child[] = [];
  let failed = false;
  try {
    const backendPort = await startBenchBackend(
      dir,
      children,
      Deno.args.includes("--backend-varying") ? VARYING_BACKEND_LOCATION : BENCH_BACKEND_LOCATION,
    );
    console.log(
      `instructions per request under callgrind: ${run.windows} windows of ${run.requests} ` +
        `requests, ${run.connections} connection(s), after ${run.warmup} warm-up requests`,
    );
    const counted: [string, () => Promise<InstructionCounts>][] = checkouts.map((
      [name, checkout],
    ) => [name, () => countInstructions(name, checkout, backendPort, dir, children, run)]);
    if (Deno.args.includes("--yardsticks")) {
      for (const [name, command] of await yardsticks(dir, backendPort)) {
        counted.push([name, () => countProcess(name, command, dir, children, run)]);
      }
    }
    for (const [name, count] of counted) {
      const counts = await count();
      const windows = (ns: number[]) => ns.map((n) => n.toFixed(0)).join(", ");
      console.log(
        `  ${name.padEnd(28)} lowest ${Math.min(...counts.perRequest).toFixed(0)}  ` +
          `(${windows(counts.perRequest)}); main thread lowest ` +
          `${Math.min(...counts.mainPerRequest).toFixed(0)} (${windows(counts.mainPerRequest)})`,
      );
    }
  } catch (error) {
    failed = true;
    reportFailure("Instruction count", error, children);
  } finally {
    await Promise.allSettled(children.map((c) => c.stop()));
    if (keep === "") await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  Deno.exit(failed ? 1 : 0);
}
