/**
 * Setup the process benchmarks share: their `--name value` flags, the head
 * of a one-worker nginx configuration and its start, the command line of a gateway
 * process serving a manifest directory, and the report of a failed run.
 * @module
 */
// deno-lint-ignore-file no-console
import { startTaskFlags } from "../scripts/start_task_flags.ts";
import { type Child, freePort, spawn, waitFor200 } from "./_processes.ts";
import { flag } from "./_flags.ts";

export { flag };

/**
 * An nginx configuration's head up to inside its `http` block: one worker in
 * the foreground, its pid, logs and temporary files under `dir` named by
 * `role`, no access log, and keep-alive connections that are never retired.
 */
export function nginxHttpHead(dir: string, role: string): string {
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx-${role}.pid;
error_log ${dir}/nginx-${role}-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/${role}-body;
  proxy_temp_path ${dir}/${role}-proxy;
  fastcgi_temp_path ${dir}/${role}-fastcgi;
  uwsgi_temp_path ${dir}/${role}-uwsgi;
  scgi_temp_path ${dir}/${role}-scgi;
  keepalive_requests 1000000;
`;
}

/** The bench backend's nginx `location` body: a fixed tiny answer. */
export const BENCH_BACKEND_LOCATION =
  'default_type text/plain; return 200 "hello from the bench backend\\n";';

/**
 * {@linkcode BENCH_BACKEND_LOCATION} with a 32-digit request id in every
 * answer (`X-Request-Id`, as tracing adds to real traffic): heads of one
 * length that never repeat.
 */
export const VARYING_BACKEND_LOCATION = "add_header X-Request-Id $request_id; " +
  BENCH_BACKEND_LOCATION;

/**
 * `bench/nginx.conf.template` filled in: nginx as `role` (its temp paths
 * under `dir`), one server on `port` whose location is `location`, and the
 * `bench_backend` upstream on `backendPort`.
 */
export function nginxTemplateConf(
  dir: string,
  role: string,
  port: number,
  backendPort: number,
  location: string,
): string {
  return Deno.readTextFileSync(new URL("nginx.conf.template", import.meta.url))
    .replaceAll("{{DIR}}", dir)
    .replaceAll("{{ROLE}}", role)
    .replaceAll("{{PORT}}", String(port))
    .replaceAll("{{BACKEND_PORT}}", String(backendPort))
    .replaceAll("{{LOCATION}}", location);
}

/**
 * Writes `conf` to `dir/nginx-<role>.conf` and starts nginx with it, its
 * prefix `dir` and its startup errors in `errorLog`.
 */
export function startNginx(
  dir: string,
  role: string,
  conf: string,
  errorLog = `${dir}/${role}.log`,
): Child {
  const path = `${dir}/nginx-${role}.conf`;
  Deno.writeTextFileSync(path, conf);
  return spawn(`nginx ${role}`, "nginx", ["-p", dir, "-c", path, "-e", errorLog]);
}

/**
 * Starts the bench backend (nginx serving `location` on a free loopback
 * port, configured and logged under `dir`) among `children`; its port, once
 * it answers.
 */
export async function startBenchBackend(
  dir: string,
  children: Child[],
  location = BENCH_BACKEND_LOCATION,
): Promise<number> {
  const port = freePort();
  const conf = nginxTemplateConf(dir, "backend", port, port, location);
  children.push(startNginx(dir, "backend", conf, `${dir}/nginx-backend-startup.log`));
  await waitFor200(`http://127.0.0.1:${port}/bench`);
  return port;
}

/**
 * The checkouts a counting benchmark runs, by name: this one as `gateway`,
 * and `--baseline DIR`'s as `gateway (baseline)` when given (each ending in `/`).
 */
export function gatewayCheckouts(): [string, string][] {
  const checkouts: [string, string][] = [["gateway", new URL("..", import.meta.url).pathname]];
  const baseline = flag("baseline", "");
  if (baseline !== "") {
    checkouts.push(["gateway (baseline)", baseline.endsWith("/") ? baseline : baseline + "/"]);
  }
  return checkouts;
}

/** A gateway process for {@linkcode gatewayRunArgs}. */
export interface GatewayRun {
  /** The checkout whose `main.ts` runs, ending in `/`. */
  checkout: string;
  /** Its manifest directory. */
  manifests: string;
  /** Deno's flags before `main.ts`. Default: the checkout's start task's. */
  denoFlags?: string[];
  /** Gateway flags after the common ones. */
  args?: string[];
  /** `--log-level`. Default: `warn`. */
  logLevel?: string;
}

/**
 * The arguments of `deno` for a gateway serving `manifests` on 127.0.0.1,
 * its admin on a free port, no telemetry listener, warnings only unless
 * `run.logLevel` says otherwise.
 */
export function gatewayRunArgs(run: GatewayRun): string[] {
  return [
    "run",
    ...(run.denoFlags ?? startTaskFlags(run.checkout)),
    `${run.checkout}main.ts`,
    "run",
    "--manifests",
    run.manifests,
    "--listen-host",
    "127.0.0.1",
    "--admin-addr",
    `127.0.0.1:${freePort()}`,
    "--telemetry-addr",
    "off",
    "--log-level",
    run.logLevel ?? "warn",
    ...(run.args ?? []),
  ];
}

/** Says why `what` failed, with the end of each child's stderr. */
export function reportFailure(what: string, error: unknown, children: readonly Child[]): void {
  console.error(`${what} failed: ${(error as Error).message}`);
  for (const c of children) {
    const tail = (c as unknown as { stderrTail: string }).stderrTail;
    if (tail) console.error(`--- ${c.name} stderr ---\n${tail}`);
  }
}
