/**
 * The HTTP proxy benchmark (first part of `deno task bench`): the gateway against nginx as a reverse proxy, on the
 * same loopback backend (nginx, one worker, fixed tiny response).
 *
 * It starts the backend, the gateway as the real process (`main.ts run
 * --manifests <tmp>`, with the runtime flags of the `start` task in
 * `deno.json`), and nginx (one worker, upstream keepalive) in front of the
 * same backend. After one warm-up per target it runs wrk `--rounds` times
 * over every target, alternating the order, because other work on the
 * machine shifts throughput by tens of percent from minute to minute: the
 * gateway/nginx ratio of each round compares neighbouring runs, and the
 * report gives the median. It prints req/s and p50/p99 per round and their
 * medians, then the ratio; it exits 1 when any run saw non-2xx responses or
 * socket errors.
 *
 * `--baseline DIR` adds a second gateway from another checkout (e.g.
 * `git archive HEAD | tar -x -C DIR`) to the same rounds, for A/B of a
 * change (with `--own-h1`, its own-engine gateway too). `--cpu-prof DIR`
 * writes the gateways' V8 CPU profiles there, in a directory named after
 * each gateway (with `--own-h1`, the Deno-engine gateway too; summarise
 * them with `bench/_cpu_profile.ts --busy`). `--workers N` (N > 1) adds a
 * gateway started with `--workers N`, labelled `gateway (N workers)`, to the
 * same rounds; the default stays one gateway worker against one nginx worker.
 * `--upgrades` adds gateways started with `--upgrades off` and `--upgrades
 * on` (the default `gateway` runs `auto`, which serves this port directly):
 * what the upgrade-aware upstream client costs every request, and what the
 * relay of a port that passes upgrades costs its plain requests.
 * `--own-h1` adds a gateway started with `--http1-engine deno` (Deno's HTTP
 * engine instead of our HTTP/1.1 server, the default on plain ports),
 * labelled `gateway (Deno's HTTP/1.1 engine)`, and the handler with the
 * complete client behind each engine with the same connection settings
 * (`bench/_gateway_server.ts --http1-engine`), the engines alone.
 * `--access-log` adds a gateway started with `--access-log on --log-level
 * info`, labelled `gateway (access log)`, its log appended to a file in the
 * run's temporary directory (as nginx would write its access log).
 * `--half-load` then measures each target's p50/p99 at half of nginx's
 * median rate (h2load `--rps`, as many connections, alternating order, the
 * same number of rounds; `bench/_half_load.ts`), the latency issue 12 asks
 * about: at saturation p99 mostly measures queueing.
 * `--clients` also compares the
 * pooled HTTP/1.1 client with a pooled `fetch` client on the same handler
 * (`bench/_gateway_server.ts`). `--ceiling` adds the yardsticks: `Deno.serve`
 * with the minimal pooled client of `bench/_minimal_client.ts` and nothing
 * else (`bench/_minimal_proxy.ts`, the ceiling of a proxy on `Deno.serve`),
 * `Deno.listen` + `Deno.connect` with a minimal HTTP/1.1 proxy on raw sockets
 * (`bench/_raw_proxy.ts`, the ceiling below `Deno.serve`), and the real handler on that minimal client and on the complete one, so a
 * run shows what the handler and what the complete client cost. Everything binds 127.0.0.1 and every child is
 * killed at the end, also on failure.
 *
 * ```sh
 * deno run -A bench/proxy_bench.ts [--duration 10s] [--rounds 3] [--connections 50] [--threads 2] [--warmup 3s]
 *                                   [--baseline DIR] [--cpu-prof DIR] [--clients] [--workers N] [--access-log] [--upgrades]
 *                                   [--half-load] [--ceiling] [--own-h1]
 * ```
 * @module
 */
// deno-lint-ignore-file no-console
import { startTaskFlags } from "../scripts/start_task_flags.ts";
import {
  type Child,
  freePort,
  requirePositiveInteger,
  requireTools,
  runWrk,
  spawn,
  treeCpuSeconds,
  waitFor200,
  type WrkResult,
} from "./_processes.ts";
import { median, printRounds, type RoundResult, type Target } from "./_rounds.ts";
import { type FixedRateResult, runAtRate } from "./_half_load.ts";
import { benchManifests } from "./_proxy_manifests.ts";

function flag(name: string, fallback: string): string {
  const at = Deno.args.indexOf(`--${name}`);
  return at === -1 ? fallback : Deno.args[at + 1];
}

const duration = flag("duration", "10s");
const warmup = flag("warmup", "3s");
const connections = flag("connections", "50");
const threads = flag("threads", "2");
const rounds = Number(flag("rounds", "3"));
const baseline = flag("baseline", "");
const cpuProf = flag("cpu-prof", "");
const compareClients = Deno.args.includes("--clients");
const ceiling = Deno.args.includes("--ceiling");
const accessLog = Deno.args.includes("--access-log");
const upgrades = Deno.args.includes("--upgrades");
const halfLoad = Deno.args.includes("--half-load");
const ownH1 = Deno.args.includes("--own-h1");
const workers = Number(flag("workers", "1"));
const root = new URL("..", import.meta.url).pathname;

await requireTools("the benchmark", halfLoad ? ["nginx", "wrk", "h2load"] : ["nginx", "wrk"]);
requirePositiveInteger("workers", workers);
requirePositiveInteger("rounds", rounds);

const dir = await Deno.makeTempDir({ prefix: "serval-bench-" });
const children: Child[] = [];
let failed = false;
try {
  const backendPort = freePort();
  const nginxPort = freePort();
  const template = await Deno.readTextFile(new URL("nginx.conf.template", import.meta.url));

  const startNginx = (role: string, port: number, location: string): number => {
    const conf = template
      .replaceAll("{{DIR}}", dir)
      .replaceAll("{{ROLE}}", role)
      .replaceAll("{{PORT}}", String(port))
      .replaceAll("{{BACKEND_PORT}}", String(backendPort))
      .replaceAll("{{LOCATION}}", location);
    const path = `${dir}/nginx-${role}.conf`;
    Deno.writeTextFileSync(path, conf);
    const child = spawn(`nginx ${role}`, "nginx", [
      "-p",
      dir,
      "-c",
      path,
      "-e",
      `${dir}/nginx-${role}-startup.log`,
    ]);
    children.push(child);
    return child.process.pid;
  };

  startNginx(
    "backend",
    backendPort,
    'default_type text/plain; return 200 "hello from the bench backend\\n";',
  );
  const nginxPid = startNginx(
    "proxy",
    nginxPort,
    [
      "proxy_pass http://bench_backend;",
      "proxy_http_version 1.1;",
      'proxy_set_header Connection "";',
      "proxy_set_header Host $http_host;",
      "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
      "proxy_set_header X-Forwarded-Proto $scheme;",
      "proxy_set_header X-Forwarded-Host $http_host;",
    ].join("\n      "),
  );

  /** Starts `main.ts run` of the checkout at `checkout` on its own ports. */
  const startGateway = async (
    name: string,
    checkout: string,
    profile: boolean,
    extraArgs: string[] = [],
    logLevel = "warn",
    stderrPath?: string,
  ) => {
    const port = freePort();
    const manifests = `${dir}/manifests-${port}`;
    await Deno.mkdir(manifests);
    await Deno.writeTextFile(`${manifests}/bench.yaml`, benchManifests(port, backendPort));
    const profiling = profile
      ? ["--cpu-prof", `--cpu-prof-dir=${cpuProf}/${name.replace(/[^a-z0-9]+/gi, "-")}`]
      : [];
    const child = spawn(name, Deno.execPath(), [
      "run",
      ...startTaskFlags(checkout),
      ...profiling,
      `${checkout}main.ts`,
      "run",
      "--manifests",
      manifests,
      "--listen-host",
      "127.0.0.1",
      "--admin-addr",
      `127.0.0.1:${freePort()}`,
      "--telemetry-addr",
      "off",
      "--log-level",
      logLevel,
      // Exit at once on SIGTERM, so the CPU profile is written before the kill.
      "--drain-delay",
      "0s",
      ...extraArgs,
    ], stderrPath);
    children.push(child);
    return { url: `http://127.0.0.1:${port}/bench`, pid: child.process.pid };
  };

  const targets: Target[] = [
    { name: "nginx proxy", url: `http://127.0.0.1:${nginxPort}/bench`, pid: nginxPid },
    { name: "gateway", ...await startGateway("gateway", root, cpuProf !== "") },
  ];
  if (ownH1) {
    // The default `gateway` serves plain HTTP/1.1 with our server: this is the other engine.
    const name = "gateway (Deno's HTTP/1.1 engine)";
    const deno = await startGateway(name, root, cpuProf !== "", ["--http1-engine", "deno"]);
    targets.push({ name, ...deno });
  }
  if (workers > 1) {
    const name = `gateway (${workers} workers)`;
    targets.push({
      name,
      ...await startGateway(name, root, false, ["--workers", String(workers)]),
    });
  }
  if (upgrades) {
    for (const mode of ["off", "on"]) {
      const name = `gateway (--upgrades ${mode})`;
      targets.push({ name, ...await startGateway(name, root, false, ["--upgrades", mode]) });
    }
  }
  if (accessLog) {
    const name = "gateway (access log)";
    const log = `${dir}/gateway-access.log`;
    targets.push({
      name,
      ...await startGateway(name, root, false, ["--access-log", "on"], "info", log),
    });
  }
  if (baseline !== "") {
    const checkout = baseline.endsWith("/") ? baseline : baseline + "/";
    targets.push({
      name: "gateway (baseline)",
      ...await startGateway("gateway (baseline)", checkout, false),
    });
    if (ownH1) {
      const name = "gateway (baseline, own HTTP/1.1)";
      targets.push({
        name,
        ...await startGateway(name, checkout, false, ["--http1-engine", "own"]),
      });
    }
  }
  if (ceiling) {
    const port = freePort();
    const child = spawn("minimal proxy", Deno.execPath(), [
      "run",
      "--allow-net",
      `${root}bench/_minimal_proxy.ts`,
      "--port",
      String(port),
      "--backend-port",
      String(backendPort),
    ]);
    children.push(child);
    targets.push({
      name: "Deno.serve + minimal client",
      url: `http://127.0.0.1:${port}/bench`,
      pid: child.process.pid,
    });
    const rawPort = freePort();
    const raw = spawn("raw proxy", Deno.execPath(), [
      "run",
      "--allow-net",
      `${root}bench/_raw_proxy.ts`,
      "--port",
      String(rawPort),
      "--backend-port",
      String(backendPort),
    ]);
    children.push(raw);
    targets.push({
      name: "Deno.listen raw HTTP/1.1",
      url: `http://127.0.0.1:${rawPort}/bench`,
      pid: raw.process.pid,
    });
  }
  const clients = [
    ...(ceiling ? ["minimal"] : []),
    ...(ceiling || compareClients ? ["own"] : []),
    ...(compareClients ? ["fetch"] : []),
  ];
  const clientNames: Record<string, string> = {
    minimal: "handler + minimal client",
    own: "handler + HTTP/1.1 pool",
    fetch: "handler + fetch pool",
  };
  // The handler and complete client behind each engine, with the process's connection settings.
  for (const engine of ownH1 ? ["deno", "own"] : []) {
    const port = freePort();
    const child = spawn(`bench gateway (${engine} engine)`, Deno.execPath(), [
      "run",
      "--allow-net",
      `${root}bench/_gateway_server.ts`,
      "--port",
      String(port),
      "--backend-port",
      String(backendPort),
      "--http1-engine",
      engine,
    ]);
    children.push(child);
    targets.push({
      name: `handler, ${engine} engine`,
      url: `http://127.0.0.1:${port}/bench`,
      pid: child.process.pid,
    });
  }
  for (const client of clients) {
    const port = freePort();
    const child = spawn(`bench gateway (${client})`, Deno.execPath(), [
      "run",
      "--allow-net",
      `${root}bench/_gateway_server.ts`,
      "--port",
      String(port),
      "--backend-port",
      String(backendPort),
      "--client",
      client,
    ]);
    children.push(child);
    targets.push({
      name: clientNames[client],
      url: `http://127.0.0.1:${port}/bench`,
      pid: child.process.pid,
    });
  }
  const backendUrl = `http://127.0.0.1:${backendPort}/bench`;
  for (const t of [{ url: backendUrl }, ...targets]) await waitFor200(t.url);

  const check = (name: string, r: WrkResult) => {
    if (r.non2xx > 0 || r.socketErrors > 0 || !(r.requestsPerSec > 0)) {
      failed = true;
      console.error(
        `${name}: ${r.non2xx} non-2xx responses, ${r.socketErrors} socket errors\n${r.raw}`,
      );
    }
  };
  const wrkArgs = ["-t", threads, "-c", connections];
  const direct = await runWrk(backendUrl, [...wrkArgs, "-d", duration]);
  check("backend (direct)", direct);
  for (const t of targets) {
    check(`${t.name} warm-up`, await runWrk(t.url, [...wrkArgs, "-d", warmup]));
  }

  const results = new Map<string, RoundResult[]>(targets.map((t) => [t.name, []]));
  for (let round = 0; round < rounds; round++) {
    // Rotate the order so that no target always runs first after a pause.
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    for (const t of order) {
      const cpuBefore = await treeCpuSeconds(t.pid);
      const r = await runWrk(t.url, [...wrkArgs, "-d", duration]);
      const cpuUs = (await treeCpuSeconds(t.pid) - cpuBefore) * 1e6 / r.requests;
      check(`${t.name} round ${round + 1}`, r);
      results.get(t.name)!.push({ ...r, cpuUs });
    }
  }

  console.log(
    `wrk -t${threads} -c${connections} -d${duration} x ${rounds} rounds ` +
      `(after ${warmup} warm-up), 127.0.0.1; backend direct: ` +
      `${direct.requestsPerSec.toFixed(0)} req/s\n`,
  );
  printRounds(results);
  const ratios = (name: string) =>
    results.get(name)!.map((r, i) =>
      r.requestsPerSec / results.get("nginx proxy")![i].requestsPerSec
    );
  const line = (name: string) => {
    const each = ratios(name);
    const cpu = median(results.get(name)!.map((r) => r.cpuUs)) /
      median(results.get("nginx proxy")!.map((r) => r.cpuUs));
    return `${name} / nginx = ${median(each).toFixed(2)}x req/s   ` +
      `(rounds: ${each.map((x) => x.toFixed(2)).join(" ")}; CPU per request ${cpu.toFixed(2)}x)`;
  };
  console.log("");
  for (const t of targets) if (t.name !== "nginx proxy") console.log(line(t.name));
  if (halfLoad) {
    const rate = median(results.get("nginx proxy")!.map((r) => r.requestsPerSec)) / 2;
    failed = !await printHalfLoad(targets, rate, Number(connections), rounds, duration) || failed;
  }
  if (failed) console.log("\nFAILED: some runs saw errors (see above)");
} catch (error) {
  failed = true;
  console.error(`Benchmark failed: ${(error as Error).message}`);
  for (const c of children) {
    const tail = (c as unknown as { stderrTail: string }).stderrTail;
    if (tail) console.error(`--- ${c.name} stderr ---\n${tail}`);
  }
} finally {
  await Promise.allSettled(children.map((c) => c.stop()));
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
Deno.exit(failed ? 1 : 0);

/** Runs every target at `rate` req/s, alternating; prints medians; false when a run saw errors. */
async function printHalfLoad(
  targets: Target[],
  rate: number,
  connections: number,
  rounds: number,
  duration: string,
): Promise<boolean> {
  const seconds = Math.max(1, parseInt(duration, 10) || 10);
  const runs = new Map<string, FixedRateResult[]>(targets.map((t) => [t.name, []]));
  let clean = true;
  for (let round = 0; round < rounds; round++) {
    for (const t of targets.map((_, i) => targets[(i + round) % targets.length])) {
      const r = await runAtRate(t.url, rate, connections, seconds);
      if (r.errors > 0) {
        clean = false;
        console.error(`${t.name} at half load: ${r.errors} failed or non-2xx requests`);
      }
      runs.get(t.name)!.push(r);
    }
  }
  console.log(
    `\nAt half of nginx's rate (${rate.toFixed(0)} req/s, h2load --h1 -c${connections}):`,
  );
  const nginxP99 = median(runs.get("nginx proxy")!.map((r) => r.p99Ms));
  for (const [name, rs] of runs) {
    const p99 = median(rs.map((r) => r.p99Ms));
    console.log(
      `${name.padEnd(28)} ${median(rs.map((r) => r.achievedRps)).toFixed(0).padStart(8)} req/s` +
        `   p50 ${median(rs.map((r) => r.p50Ms)).toFixed(2)} ms   p99 ${p99.toFixed(2)} ms` +
        (name === "nginx proxy" ? "" : `   (${(p99 - nginxP99).toFixed(2)} ms against nginx)`) +
        `   rounds p99: ${rs.map((r) => r.p99Ms.toFixed(2)).join(" ")}`,
    );
  }
  return clean;
}
