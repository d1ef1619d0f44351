/**
 * The processes `proxy_bench.ts` measures: the nginx backend, nginx as a
 * reverse proxy in front of it, the gateway as the real process (`main.ts
 * run --manifests <tmp>` with the runtime flags of the `start` task) and the
 * variants and yardsticks its flags add. Every child is pushed onto the
 * caller's list as soon as it is spawned, so the caller stops it also when a
 * later start fails.
 * @module
 */
import { startTaskEnv, startTaskFlags } from "../scripts/start_task_flags.ts";
import { type Child, freePort, spawn } from "./_processes.ts";
import {
  BENCH_BACKEND_LOCATION,
  gatewayRunArgs,
  nginxTemplateConf,
  startNginx,
} from "./_bench_setup.ts";
import type { Target } from "./_rounds.ts";
import { benchManifests } from "./_proxy_manifests.ts";

/** The flags of `proxy_bench.ts` that choose what runs. */
export interface ProxyTargetOptions {
  /** The checkout under test, ending in `/`. */
  root: string;
  /** Another checkout to run beside it (`--baseline`), or "". */
  baseline: string;
  /** Where the gateways' CPU profiles go (`--cpu-prof`), or "". */
  cpuProf: string;
  compareClients: boolean;
  ceiling: boolean;
  accessLog: boolean;
  upgrades: boolean;
  ownH1: boolean;
  workers: number;
}

/** The backend's URL and every target, nginx first. */
export interface ProxyTargets {
  backendUrl: string;
  targets: Target[];
}

/** The header settings nginx proxies with: the same forwarded fields the gateway adds. */
export const NGINX_PROXY_LOCATION: string = [
  "proxy_pass http://bench_backend;",
  "proxy_http_version 1.1;",
  'proxy_set_header Connection "";',
  "proxy_set_header Host $http_host;",
  "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
  "proxy_set_header X-Forwarded-Proto $scheme;",
  "proxy_set_header X-Forwarded-Host $http_host;",
].join("\n      ");

/** What a bench helper script under `bench/` is labelled and started with. */
interface HelperTarget {
  name: string;
  /** The child's name in failure output. */
  label: string;
  script: string;
  args: string[];
  /** Permissions beyond `--allow-net`. */
  permissions?: string[];
}

/**
 * Starts the backend and every target `options` asks for, in `dir`.
 *
 * @example
 * ```ts ignore
 * const children: Child[] = [];
 * const { targets } = await startProxyTargets(options, dir, children);
 * ```
 */
export async function startProxyTargets(
  options: ProxyTargetOptions,
  dir: string,
  children: Child[],
): Promise<ProxyTargets> {
  const backendPort = freePort();
  const nginxPort = freePort();
  const nginx = (role: string, port: number, location: string): number => {
    const conf = nginxTemplateConf(dir, role, port, backendPort, location);
    const child = startNginx(dir, role, conf, `${dir}/nginx-${role}-startup.log`);
    children.push(child);
    return child.process.pid;
  };
  nginx("backend", backendPort, BENCH_BACKEND_LOCATION);
  const nginxPid = nginx("proxy", nginxPort, NGINX_PROXY_LOCATION);
  const targets: Target[] = [
    { name: "nginx proxy", url: `http://127.0.0.1:${nginxPort}/bench`, pid: nginxPid },
  ];
  const startGateway = gatewayStarter(dir, backendPort, options.cpuProf, children);
  targets.push(...await startGateways(options, dir, startGateway));
  for (const helper of helperTargets(options)) {
    const port = freePort();
    const child = spawn(helper.label, Deno.execPath(), [
      "run",
      "--allow-net",
      ...helper.permissions ?? [],
      `${options.root}bench/${helper.script}`,
      "--port",
      String(port),
      "--backend-port",
      String(backendPort),
      ...helper.args,
    ]);
    children.push(child);
    targets.push({
      name: helper.name,
      url: `http://127.0.0.1:${port}/bench`,
      pid: child.process.pid,
    });
  }
  return { backendUrl: `http://127.0.0.1:${backendPort}/bench`, targets };
}

/** Starts `main.ts run` of a checkout on its own ports; resolves to its URL and pid. */
type StartGateway = (
  name: string,
  checkout: string,
  profile: boolean,
  extraArgs?: string[],
  logLevel?: string,
  stderrPath?: string,
) => Promise<{ url: string; pid: number }>;

function gatewayStarter(
  dir: string,
  backendPort: number,
  cpuProf: string,
  children: Child[],
): StartGateway {
  return async (name, checkout, profile, extraArgs = [], logLevel = "warn", stderrPath) => {
    const port = freePort();
    const manifests = `${dir}/manifests-${port}`;
    await Deno.mkdir(manifests);
    await Deno.writeTextFile(`${manifests}/bench.yaml`, benchManifests(port, backendPort));
    const profiling = profile
      ? ["--cpu-prof", `--cpu-prof-dir=${cpuProf}/${name.replace(/[^a-z0-9]+/gi, "-")}`]
      : [];
    const args = gatewayRunArgs({
      checkout,
      manifests,
      denoFlags: [...startTaskFlags(checkout), ...profiling],
      logLevel,
      // Exit at once on SIGTERM, so the CPU profile is written before the kill.
      args: ["--drain-delay", "0s", ...extraArgs],
    });
    const child = spawn(name, Deno.execPath(), args, stderrPath, startTaskEnv(checkout));
    children.push(child);
    return { url: `http://127.0.0.1:${port}/bench`, pid: child.process.pid };
  };
}

/** The gateway processes: the default one, then the variants the flags add, in report order. */
async function startGateways(
  options: ProxyTargetOptions,
  dir: string,
  start: StartGateway,
): Promise<Target[]> {
  const { root, cpuProf, workers } = options;
  const targets: Target[] = [
    { name: "gateway", ...await start("gateway", root, cpuProf !== "") },
  ];
  const add = async (name: string, checkout: string, profile: boolean, extraArgs?: string[]) => {
    targets.push({ name, ...await start(name, checkout, profile, extraArgs) });
  };
  // The default `gateway` serves plain HTTP/1.1 with our server: this is the other engine.
  if (options.ownH1) {
    await add("gateway (Deno's HTTP/1.1 engine)", root, cpuProf !== "", ["--http1-engine", "deno"]);
  }
  if (workers > 1) {
    await add(`gateway (${workers} workers)`, root, false, ["--workers", String(workers)]);
  }
  if (options.upgrades) {
    for (const mode of ["off", "on"]) {
      await add(`gateway (--upgrades ${mode})`, root, false, ["--upgrades", mode]);
    }
  }
  if (options.accessLog) {
    const name = "gateway (access log)";
    const log = `${dir}/gateway-access.log`;
    targets.push({ name, ...await start(name, root, false, ["--access-log", "on"], "info", log) });
  }
  if (options.baseline !== "") {
    const checkout = options.baseline.endsWith("/") ? options.baseline : options.baseline + "/";
    await add("gateway (baseline)", checkout, false);
    if (options.ownH1) {
      await add("gateway (baseline, own HTTP/1.1)", checkout, false, ["--http1-engine", "own"]);
    }
  }
  return targets;
}

/**
 * The yardsticks under `bench/` in report order: with `--ceiling` the
 * minimal and raw proxies; with `--own-h1` the handler and complete client
 * behind each engine (the process's connection settings); then the handler
 * on each client that `--ceiling` and `--clients` ask for.
 */
function helperTargets(options: ProxyTargetOptions): HelperTarget[] {
  const helpers: HelperTarget[] = [];
  if (options.ceiling) {
    helpers.push(
      {
        name: "Deno.serve + minimal client",
        label: "minimal proxy",
        script: "_minimal_proxy.ts",
        args: [],
      },
      { name: "Deno.listen raw HTTP/1.1", label: "raw proxy", script: "_raw_proxy.ts", args: [] },
    );
    // The raw proxy on libc's sockets and epoll by FFI: what is left without the runtime's
    // sockets; then without its promise per wait, then without strings for the heads.
    if (Deno.build.os === "linux" && Deno.build.arch === "x86_64") {
      const permissions = ["--allow-ffi=/lib/x86_64-linux-gnu/libc.so.6"];
      for (const [name, args] of FFI_PROXIES) {
        helpers.push({ name, label: name, script: "_ffi_proxy.ts", args, permissions });
      }
    }
  }
  for (const engine of options.ownH1 ? ["deno", "own"] : []) {
    helpers.push({
      name: `handler, ${engine} engine`,
      label: `bench gateway (${engine} engine)`,
      script: "_gateway_server.ts",
      args: ["--http1-engine", engine],
    });
  }
  const clients = [
    ...(options.ceiling ? ["minimal"] : []),
    ...(options.ceiling || options.compareClients ? ["own"] : []),
    ...(options.compareClients ? ["fetch"] : []),
  ];
  for (const client of clients) {
    helpers.push({
      name: CLIENT_NAMES[client],
      label: `bench gateway (${client})`,
      script: "_gateway_server.ts",
      args: ["--client", client],
    });
  }
  return helpers;
}

/** The variants of `bench/_ffi_proxy.ts` that `--ceiling` runs: name and flags. */
export const FFI_PROXIES: [string, string[]][] = [
  ["libc sockets by FFI", []],
  ["FFI, poll first", ["--poll-first"]],
  ["FFI, poll first, byte heads", ["--poll-first", "--bytes"]],
];

const CLIENT_NAMES: Record<string, string> = {
  minimal: "handler + minimal client",
  own: "handler + HTTP/1.1 pool",
  fetch: "handler + fetch pool",
};
