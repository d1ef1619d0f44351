/**
 * `deno task bench`: every benchmark of the project, one after another, each
 * in its own process so one cannot skew the next:
 *
 * - `proxy`: HTTP proxying, the gateway against nginx (one worker, upstream
 *   keepalive) in front of the same loopback backend — throughput ratio,
 *   p50/p99, CPU per request (`bench/proxy_bench.ts`);
 * - `h2c`: proxying to a cleartext HTTP/2 backend, the gateway against nginx's
 *   `grpc_pass` and against its own HTTP/1.1 path to the same backend
 *   (`bench/h2c_bench.ts`);
 * - `grpc`: unary gRPC calls per second, the gateway (GRPCRoute) against
 *   nginx `grpc_pass` to the same echo-basic backend, with h2load
 *   (`bench/grpc_bench.ts`);
 * - `tls`: HTTPS, new connections per second and keep-alive throughput,
 *   against nginx terminating TLS with the same certificate (`bench/tls_bench.ts`);
 * - `passthrough`: TLS Passthrough, new connections per second and bulk
 *   throughput, against nginx `stream` with `ssl_preread` relaying to the
 *   same TLS backend (`bench/tls_passthrough_bench.ts`);
 * - `kube`: time from a change at the (fake) Kubernetes API to the new route
 *   being served, p50/p99 (`bench/kube_bench.ts`);
 * - `scale`: propagation of a new route at 3,000 routes through the fake
 *   Kubernetes API and, when the conformance rig's build is cached, the real
 *   one beside it; with optional route churn; per-change cost; RSS after N
 *   changes (`bench/scale.ts`; `--routes 3000,5000 --churn 100 --changes 1000`);
 * - `startup`: spawn to the first 200 at 5,000 routes, cut into the phases
 *   the gateway logs, and its CPU by then; `--main A/main.ts,B/main.ts`
 *   starts other checkouts in alternating rounds (`bench/startup.ts`);
 * - `memory` (only with `--only memory`): resident memory at 5,000 routes by
 *   part (executable, glibc, V8) after 1,000 changes, the process run as a
 *   user runs it (`bench/memory.ts`; `--inspect --snapshot DIR` for the V8
 *   heap after a GC and its layers); `bench/memory_layers.ts` measures
 *   bytes per route of the store, translate memo and table in one process;
 * - `swap`: what one route change costs the data-plane worker pool
 *   (`--workers 2`) at 3,000 and 5,000 routes: reconcile round trip and each
 *   worker's patch-and-compile time (`bench/worker_swap_bench.ts`);
 * - `translate`: translate time at 1k and 5k HTTPRoutes (`bench/translate_bench.ts`);
 * - `holdoff`: how long a change waits for its rebuild under route churn, the store's holdoff
 *   on a simulated clock (`bench/holdoff_churn.ts`; `--holdoff OTHER/src/time/holdoff.ts`);
 * - `router`: match cost over named request shapes at 10, 1k and 10k hosts
 *   (`bench/router_bench.ts`, `deno bench`);
 * - `hpack`: HTTP/2 header block decode and encode cost over the blocks of
 *   a gRPC call (`bench/hpack_bench.ts`, `deno bench`);
 * - `soak` (only with `--only soak`: 10 minutes): load while routes, endpoints
 *   and certificates change, RSS slope (`bench/soak.ts`).
 *
 * ```sh
 * deno task bench                    # all of them
 * deno task bench --only proxy,tls   # some of them
 * deno task bench --only proxy -- --rounds 5 --duration 15s   # arguments after -- go to each
 * ```
 * Exits 1 if any benchmark failed (errors, non-2xx answers, missing tools).
 * @module
 */
// deno-lint-ignore-file no-console

interface Bench {
  name: string;
  /** Deno arguments after `deno`. */
  args: string[];
  /** Runs only when named in `--only` (long runs). */
  optIn?: boolean;
}

const PERMISSIONS = [
  "--unstable-net",
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-sys",
];

/**
 * For benchmarks that read the gateway's `/proc/PID/...` (resident memory,
 * smaps, scheduling counters): Deno reads another process's `/proc` entries
 * only with every permission.
 */
const PROC_READER = ["--allow-all"];

const BENCHES: Bench[] = [
  { name: "proxy", args: ["run", ...PERMISSIONS, "bench/proxy_bench.ts"] },
  { name: "h2c", args: ["run", ...PERMISSIONS, "bench/h2c_bench.ts"] },
  { name: "grpc", args: ["run", ...PERMISSIONS, "bench/grpc_bench.ts"] },
  { name: "tls", args: ["run", ...PERMISSIONS, "bench/tls_bench.ts"] },
  { name: "passthrough", args: ["run", ...PERMISSIONS, "bench/tls_passthrough_bench.ts"] },
  { name: "kube", args: ["run", ...PERMISSIONS, "bench/kube_bench.ts"] },
  { name: "scale", args: ["run", ...PROC_READER, "bench/scale.ts"] },
  { name: "startup", args: ["run", ...PERMISSIONS, "bench/startup.ts"] },
  { name: "memory", args: ["run", ...PROC_READER, "bench/memory.ts"], optIn: true },
  { name: "swap", args: ["run", ...PERMISSIONS, "bench/worker_swap_bench.ts"] },
  { name: "translate", args: ["run", ...PERMISSIONS, "bench/translate_bench.ts"] },
  { name: "holdoff", args: ["run", "--allow-read", "bench/holdoff_churn.ts"] },
  { name: "soak", args: ["run", ...PERMISSIONS, "bench/soak.ts"], optIn: true },
  { name: "router", args: ["bench", "--allow-read", "bench/router_bench.ts"] },
  { name: "hpack", args: ["bench", "bench/hpack_bench.ts"] },
];

const separator = Deno.args.indexOf("--");
const own = separator === -1 ? Deno.args : Deno.args.slice(0, separator);
const passThrough = separator === -1 ? [] : Deno.args.slice(separator + 1);
const onlyAt = own.indexOf("--only");
const only = onlyAt === -1 ? undefined : new Set((own[onlyAt + 1] ?? "").split(","));
if (only) {
  const unknown = [...only].filter((name) => !BENCHES.some((b) => b.name === name));
  if (unknown.length > 0) {
    console.error(
      `Cannot select benchmarks: unknown name "${unknown.join(",")}" (known: ${
        BENCHES.map((b) => b.name).join(", ")
      })`,
    );
    Deno.exit(2);
  }
}

const root = new URL("..", import.meta.url).pathname;
const failed: string[] = [];
for (const bench of BENCHES) {
  if (only ? !only.has(bench.name) : bench.optIn) continue;
  console.log(`\n=== ${bench.name} ${"=".repeat(Math.max(0, 70 - bench.name.length))}`);
  const started = performance.now();
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: [...bench.args, ...passThrough],
    cwd: root,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  console.log(`--- ${bench.name}: ${code === 0 ? "ok" : `FAILED (exit ${code})`} in ${seconds}s`);
  if (code !== 0) failed.push(bench.name);
}
if (failed.length > 0) {
  console.error(`\nbenchmarks failed: ${failed.join(", ")}`);
  Deno.exit(1);
}
