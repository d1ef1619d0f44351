/**
 * The gRPC benchmark (`deno task bench --only grpc`): unary calls per second
 * through the gateway (a GRPCRoute on a gRPC-only port: our own HTTP/2 server
 * in front, `node:http2` to the backend, trailers passed through) against
 * nginx `grpc_pass`, in front of the same backend, with the same load
 * generator, in one run.
 *
 * - backend: the conformance suite's echo-basic in gRPC mode
 *   (`GRPC_ECHO_SERVER`), built from the Go module cache by the rig's build
 *   (`scripts/conformance/rig_build.ts`), in its own process;
 * - load: `h2load` (nghttp2-client), h2c by prior knowledge, POSTing one
 *   empty `EchoRequest` (5 bytes of gRPC framing) to
 *   `/gateway_api_conformance.echo_basic.grpcecho.GrpcEcho/Echo`;
 * - nginx: one worker, `listen … http2` (h2c) and `grpc_pass` with
 *   upstream keepalive.
 *
 * h2load counts HTTP statuses, not `grpc-status`; a warm-up call through
 * each proxy checks `grpc-status: 0` first. Rounds alternate the order; the
 * report gives median calls/s, CPU per call and the ratio. Exits 1 on errors.
 *
 * ```sh
 * deno run -A bench/grpc_bench.ts [--duration 10] [--rounds 3] [--clients 50] [--streams 1] [--threads 1] [--cpu-prof DIR]
 * ```
 * @module
 */
// deno-lint-ignore-file no-console
import { startTaskFlags } from "../scripts/start_task_flags.ts";
import { flag, gatewayRunArgs } from "./_bench_setup.ts";
import { go, rigPaths } from "../scripts/conformance/rig_build.ts";
import { grpcCall } from "../tests/_helpers/grpc_peer.ts";
import { classAndGatewayYaml, loopbackServiceYaml } from "../scripts/manifests.ts";
import { type Child, freePort, requireTools, spawn, treeCpuSeconds } from "./_processes.ts";
import { median } from "./_rounds.ts";

const duration = flag("duration", "10");
const rounds = Number(flag("rounds", "3"));
const clients = flag("clients", "50");
const streams = flag("streams", "1");
const threads = flag("threads", "1");
/** Where the gateway writes its V8 CPU profile when it stops (`bench/_cpu_profile.ts` reads it). */
const cpuProf = flag("cpu-prof", "");
const root = new URL("..", import.meta.url).pathname;
const METHOD = "/gateway_api_conformance.echo_basic.grpcecho.GrpcEcho/Echo";

await requireTools("the benchmark", ["nginx", "h2load", "go"]);

/** One h2load run. */
interface H2loadResult {
  callsPerSec: number;
  done: number;
  failed: number;
  raw: string;
}

async function runH2load(url: string, dataFile: string, seconds: string): Promise<H2loadResult> {
  const out = await new Deno.Command("h2load", {
    args: [
      "-c",
      clients,
      "-m",
      streams,
      "-t",
      threads,
      "-D",
      seconds,
      "-d",
      dataFile,
      "-H",
      "content-type: application/grpc",
      "-H",
      "te: trailers",
      url,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const raw = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  const rps = /finished in [^,]+, ([0-9.]+) req\/s/.exec(raw);
  const reqs = /requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed/
    .exec(raw);
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(raw);
  const non2xx = codes ? Number(codes[2]) + Number(codes[3]) + Number(codes[4]) : 0;
  return {
    callsPerSec: rps ? Number(rps[1]) : 0,
    done: reqs ? Number(reqs[1]) : 0,
    failed: (reqs ? Number(reqs[3]) : 1) + non2xx,
    raw,
  };
}

const dir = await Deno.makeTempDir({ prefix: "serval-grpc-bench-" });
const children: Child[] = [];
let failed = false;
try {
  const paths = rigPaths(root, Deno.env.toObject());
  const echoBasic = `${paths.bin}/echo-basic`;
  await go(paths, ["build", "-o", echoBasic, "sigs.k8s.io/gateway-api/conformance/echo-basic"]);
  const backendPort = freePort();
  // `env` execs echo-basic, so stopping the child stops the backend.
  children.push(spawn("backend", "env", [
    "GRPC_ECHO_SERVER=1",
    `HTTP_PORT=${backendPort}`,
    "POD_NAME=bench",
    "NAMESPACE=bench",
    echoBasic,
  ]));

  const nginxPort = freePort();
  const nginxConfPath = `${dir}/nginx.conf`;
  await Deno.writeTextFile(nginxConfPath, nginxConf(dir, nginxPort, backendPort));
  const nginx = spawn("nginx", "nginx", ["-p", dir, "-c", nginxConfPath, "-e", `${dir}/error.log`]);
  children.push(nginx);

  const gatewayPort = freePort();
  await Deno.mkdir(`${dir}/manifests`);
  await Deno.writeTextFile(`${dir}/manifests/bench.yaml`, manifests(gatewayPort, backendPort));
  const gateway = spawn(
    "gateway",
    Deno.execPath(),
    gatewayRunArgs({
      checkout: root,
      manifests: `${dir}/manifests`,
      denoFlags: [
        ...startTaskFlags(root),
        ...(cpuProf === "" ? [] : ["--cpu-prof", `--cpu-prof-dir=${cpuProf}`]),
      ],
      args: ["--drain-delay", "0s"],
    }),
  );
  children.push(gateway);

  const targets = [
    { name: "gateway", port: gatewayPort, pid: gateway.process.pid },
    { name: "nginx grpc_pass", port: nginxPort, pid: nginx.process.pid },
  ];
  for (const t of targets) await firstOkCall(t.name, t.port);
  const dataFile = `${dir}/echo-request.bin`;
  await Deno.writeFile(dataFile, new Uint8Array(5));
  const url = (port: number) => `http://127.0.0.1:${port}${METHOD}`;
  for (const t of targets) await runH2load(url(t.port), dataFile, "3");

  const results = new Map<string, { callsPerSec: number; cpuUs: number }[]>(
    targets.map((t) => [t.name, []]),
  );
  for (let round = 0; round < rounds; round++) {
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    for (const t of order) {
      const before = await treeCpuSeconds(t.pid);
      const r = await runH2load(url(t.port), dataFile, duration);
      const cpuUs = (await treeCpuSeconds(t.pid) - before) * 1e6 / Math.max(1, r.done);
      if (r.failed > 0 || !(r.callsPerSec > 0)) {
        failed = true;
        console.error(`${t.name} round ${round + 1}: ${r.failed} failed calls\n${r.raw}`);
      }
      results.get(t.name)!.push({ callsPerSec: r.callsPerSec, cpuUs });
    }
  }
  console.log(
    `h2load -c${clients} -m${streams} -t${threads} -D${duration} x ${rounds} rounds, unary ` +
      `Echo to one echo-basic (gRPC mode) backend, 127.0.0.1\n`,
  );
  console.log(
    `${"target".padEnd(20)}${"calls/s per round".padStart(30)}${"median".padStart(10)}${
      "CPU us/call".padStart(13)
    }`,
  );
  for (const [name, runs] of results) {
    console.log(
      `${name.padEnd(20)}${runs.map((r) => r.callsPerSec.toFixed(0)).join(" ").padStart(30)}${
        median(runs.map((r) => r.callsPerSec)).toFixed(0).padStart(10)
      }${median(runs.map((r) => r.cpuUs)).toFixed(1).padStart(13)}`,
    );
  }
  const g = results.get("gateway")!;
  const n = results.get("nginx grpc_pass")!;
  const each = g.map((r, i) => r.callsPerSec / n[i].callsPerSec);
  const cpu = median(g.map((r) => r.cpuUs)) / median(n.map((r) => r.cpuUs));
  console.log(
    `\ngateway / nginx grpc_pass = ${median(each).toFixed(2)}x calls/s (rounds: ${
      each.map((x) => x.toFixed(2)).join(" ")
    }; CPU per call ${cpu.toFixed(2)}x)`,
  );
  if (failed) console.log("\nFAILED: some runs saw errors (see above)");
} catch (error) {
  failed = true;
  console.error(`Benchmark failed: ${(error as Error).message}`);
} finally {
  await Promise.allSettled(children.map((c) => c.stop()));
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
Deno.exit(failed ? 1 : 0);

/** Retries one call until the target answers `grpc-status: 0` (at most ~30 s). */
async function firstOkCall(name: string, port: number): Promise<void> {
  let last = "";
  for (let i = 0; i < 300; i++) {
    try {
      const res = await grpcCall(port, "bench.example.com", METHOD, { message: new Uint8Array() });
      const status = res.trailers["grpc-status"] ?? res.headers["grpc-status"];
      if (status === "0") return;
      last = `grpc-status ${status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} never answered a call with grpc-status 0: ${last}`);
}

function nginxConf(dir: string, port: number, backendPort: number): string {
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
  http2_max_requests 1000000;
  upstream backend { server 127.0.0.1:${backendPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port} http2;
    location / { grpc_pass grpc://backend; }
  }
}
`;
}

function manifests(gatewayPort: number, backendPort: number): string {
  return `${
    classAndGatewayYaml("bench", [`{ name: grpc, protocol: HTTP, port: ${gatewayPort} }`])
  }---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: bench, namespace: default }
spec:
  parentRefs: [{ name: bench }]
  rules: [{ backendRefs: [{ name: backend, port: 8080 }] }]
---
${loopbackServiceYaml("backend", backendPort, { name: "grpc", port: 8080 })}`;
}
