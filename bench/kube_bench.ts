/**
 * Kubernetes source latency: the time from a change written to the (fake)
 * API server to the gateway process serving it, over `--changes` new
 * HTTPRoutes (default 50). Each change adds a route for a new host name; the
 * clock stops at the first 200 for that host (polled every 2 ms). The store's
 * holdoff (100 ms) is part of what is measured, on purpose.
 *
 * ```sh
 * deno run -A bench/kube_bench.ts [--changes 50] [--json]
 * ```
 * @module
 */
import { startEchoBackend } from "../scripts/echo_backend.ts";
import { freePort, startGateway } from "../tests/_helpers/gateway_process.ts";
import { startFakeKube } from "../tests/fake_kube/fake_kube_server.ts";
import {
  endpointSlice,
  gateway,
  gatewayClass,
  httpRoute,
  namespace,
  service,
} from "../tests/fake_kube/fake_kube_fixtures.ts";

/** Latency summary in milliseconds. */
export interface KubeBenchResult {
  changes: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Runs the benchmark; every socket is on 127.0.0.1. */
export async function runKubeBench(changes = 50): Promise<KubeBenchResult> {
  await using kube = await startFakeKube();
  const backend = startEchoBackend({ name: "bench" });
  const port = freePort();
  kube.apply(namespace("default"));
  kube.apply(gatewayClass());
  kube.apply(gateway("gw", port));
  kube.apply(service("svc"));
  kube.apply(endpointSlice("svc", ["127.0.0.1"], backend.port));
  const dir = await Deno.makeTempDir();
  const kubeconfig = await kube.writeKubeconfig(`${dir}/kubeconfig`);
  await using _gw = await startGateway({
    args: ["--source", "kube", "--kubeconfig", kubeconfig, "--log-level", "warn"],
  });
  using http = Deno.createHttpClient({ allowHost: true });
  const samples: number[] = [];
  try {
    for (let i = 0; i < changes; i++) {
      const host = `bench-${i}.test`;
      const t0 = performance.now();
      kube.apply(httpRoute(`bench-${i}`, { host, backend: "svc" }));
      for (;;) {
        const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { host }, client: http });
        await res.body?.cancel();
        if (res.status === 200) break;
        if (performance.now() - t0 > 10_000) throw new Error(`Route ${host} not served in 10 s`);
        await new Promise((r) => setTimeout(r, 2));
      }
      samples.push(performance.now() - t0);
    }
  } finally {
    await backend.close();
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    changes,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted.at(-1)!),
    meanMs: round(samples.reduce((a, b) => a + b, 0) / samples.length),
  };
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--changes");
  const changes = i >= 0 ? Number(Deno.args[i + 1]) : 50;
  const result = await runKubeBench(changes);
  // deno-lint-ignore no-console
  console.log(
    Deno.args.includes("--json")
      ? JSON.stringify(result)
      : `kube change → served over ${result.changes} changes: ` +
        `p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, max ${result.maxMs} ms, mean ${result.meanMs} ms`,
  );
}
