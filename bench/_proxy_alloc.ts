/**
 * Bytes a proxied request allocates in the gateway, and where: the gateway
 * of `proxy_bench.ts` (the real process, the nginx backend in its own
 * process) runs with the V8 inspector, takes a warm-up over kept-alive
 * connections (h2load over HTTP/1.1), then V8's sampling heap profiler
 * counts what `--requests` more requests allocate (collected objects
 * too) and prints the sites that allocate the most per request
 * (`bench/_alloc_profile.ts`). `--baseline DIR` samples another checkout
 * the same way, one after the other; `--rounds N` alternates them N times.
 * The figure is sampled: rounds of the same build differ by a few percent.
 *
 * ```sh
 * deno run -A bench/_proxy_alloc.ts [--baseline DIR] [--requests 50000] [--connections 10]
 *                                   [--warmup 30000] [--rounds 2] [--top 25] [--interval 4096]
 * ```
 * @module
 */
// deno-lint-ignore-file no-console
import { startTaskEnv, startTaskFlags } from "../scripts/start_task_flags.ts";
import { type Child, freePort, requireTools, spawn, waitFor200 } from "./_processes.ts";
import {
  flag,
  gatewayCheckouts,
  gatewayRunArgs,
  reportFailure,
  startBenchBackend,
} from "./_bench_setup.ts";
import { benchManifests } from "./_proxy_manifests.ts";
import { InspectorSession } from "./_inspector.ts";
import {
  printAllocProfile,
  type SamplingProfile,
  startAllocSampling,
  stopAllocSampling,
} from "./_alloc_profile.ts";

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

interface AllocRun {
  requests: number;
  connections: number;
  warmup: number;
  interval: number;
}

/** Starts the gateway of `checkout` in front of `backendPort` and samples one run's allocations. */
async function sampleCheckout(
  checkout: string,
  backendPort: number,
  dir: string,
  children: Child[],
  run: AllocRun,
): Promise<SamplingProfile> {
  const port = freePort();
  const inspectPort = freePort();
  const manifests = `${dir}/manifests-${port}`;
  await Deno.mkdir(manifests);
  await Deno.writeTextFile(`${manifests}/bench.yaml`, benchManifests(port, backendPort));
  const args = gatewayRunArgs({
    checkout,
    manifests,
    denoFlags: [`--inspect=127.0.0.1:${inspectPort}`, ...startTaskFlags(checkout)],
    args: ["--drain-delay", "0s"],
  });
  const child = spawn("gateway", Deno.execPath(), args, undefined, startTaskEnv(checkout));
  children.push(child);
  try {
    const url = `http://127.0.0.1:${port}/bench`;
    await waitFor200(url, 60_000);
    await h2load(url, run.warmup, run.connections);
    const session = await InspectorSession.connect(inspectPort);
    try {
      await startAllocSampling(session, run.interval);
      await h2load(url, run.requests, run.connections);
      return await stopAllocSampling(session);
    } finally {
      session.close();
    }
  } finally {
    await child.stop();
    children.splice(children.indexOf(child), 1);
  }
}

if (import.meta.main) {
  const run: AllocRun = {
    requests: Number(flag("requests", "50000")),
    connections: Number(flag("connections", "10")),
    warmup: Number(flag("warmup", "30000")),
    interval: Number(flag("interval", "4096")),
  };
  const rounds = Number(flag("rounds", "1"));
  const top = Number(flag("top", "25"));
  await requireTools("the allocation profile", ["h2load", "nginx"]);
  const checkouts = gatewayCheckouts();
  const dir = await Deno.makeTempDir({ prefix: "serval-alloc-" });
  const children: Child[] = [];
  let failed = false;
  try {
    const backendPort = await startBenchBackend(dir, children);
    console.log(
      `sampled allocation a request: ${run.requests} requests, ${run.connections} connection(s), ` +
        `after ${run.warmup} warm-up requests, one sample per ${run.interval} bytes on average`,
    );
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? checkouts : [...checkouts].reverse();
      for (const [name, checkout] of order) {
        const profile = await sampleCheckout(checkout, backendPort, dir, children, run);
        console.log(`\n${name}, round ${r + 1}:`);
        printAllocProfile(profile, run.requests, top, "request");
      }
    }
  } catch (error) {
    failed = true;
    reportFailure("Allocation profile", error, children);
  } finally {
    await Promise.allSettled(children.map((c) => c.stop()));
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  Deno.exit(failed ? 1 : 0);
}
