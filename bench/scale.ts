/**
 * Propagation and memory at scale, through the Kubernetes source (or, with
 * `--source files`, a manifest directory): the (fake, in-process) API server
 * holds `--routes` HTTPRoutes before the gateway starts; then, `--probes` times, a new route is added and polled
 * every 5 ms until its first 200 (any answer other than 404 or 200 on the way
 * is counted as a failure). With `--churn R`, R other routes are rewritten
 * every second while probing. After the probes, `--changes` more changes
 * (each a rewritten route, waited for until served) precede the RSS reading,
 * taken again halfway so a reader sees whether memory is flat.
 *
 * Per-change cost is the reconciler's own account (`translateMs`,
 * `compileMs`, `statusMs` in its "configuration served" log lines) over the
 * probes' rebuilds; each probe is also cut into where its time went (API
 * server and watch, holdoff, translate, compile, swap to the first 200), and
 * per probe into three spans that add up: API server and watch to the
 * gateway's store, the gateway's own (store → swap), swap → first 200. The
 * harness stays out of the way: the routes' backend is its own process, the
 * probe polls over one kept-alive connection, the fake API server sets
 * `TCP_NODELAY` as a real one does; a 404 poll's round trip and the lateness
 * of the benchmark's own timer are printed so a reader can check. The swap →
 * 200 span is cut again: the wait until the 200's request was sent, that
 * request beside a second one on the same route right after it (what a new
 * route's first request costs beyond a warm one), and the rebuild's work
 * after the swap (ports, metrics, status), which a request arriving then
 * waits behind. The propagation split adds up: the create call, its answer
 * → the event in the gateway's store, the event → the swap, the swap → the
 * first 200. With the real API server, `--api-cost N` then times N writes
 * of the probes' HTTPRoute beside lighter kinds (`_api_cost.ts`), to say how
 * much of the create call is the CRD's validation and how much the write.
 * The slowest probes are listed with their spans and how long each process's
 * main thread ran and waited for a CPU meanwhile (`_scale_slowest.ts`); with
 * `--gc-trace` the gateway runs with V8's `--trace-gc` and each of them also
 * shows the gateway's collections inside it (`_scale_gc.ts`).
 *
 * ```sh
 * deno task bench --only scale -- --routes 3000,5000 --churn 100 --changes 1000
 * deno run -A bench/scale.ts [--routes 3000] [--probes 30] [--churn 0] [--changes 30] [--json]
 *   [--source kube|files] [--api fake|real] [--v8-flags FLAGS] [--cpu-prof DIR]
 *   [--main OTHER_CHECKOUT/main.ts] [--workers N|auto] [--poll fixed|after] [--api-cost N] [--probe-gap MS]
 *   [--gc-trace]
 * ```
 * @module
 */
import { flag } from "./_flags.ts";
import { freePort, startGateway } from "../tests/_helpers/gateway_process.ts";
import { type ScaleApi, startWorld } from "./_scale_world.ts";
import { realApiAvailable } from "./_real_kube.ts";
import { type Probe, probeUntilServed, type ScaleRun, summarise } from "./_scale_probe.ts";
import {
  churnRoutes,
  heapMiB,
  isServedRecord,
  rebuildCosts,
  rssMiB,
  spread,
  startupPhases,
} from "./_scale_churn.ts";
import { InspectorSession } from "./_inspector.ts";
import { ProbeClient } from "./_probe_client.ts";
import { watchLoopLag } from "./_loop_lag.ts";
import { phaseBreakdown, type TimedProbe } from "./_scale_phases.ts";
import { measureApiCost } from "./_api_cost.ts";
import { GC_TRACE_FLAGS, type GcMark, gcPauses, gcSummaryLine, markGc } from "./_scale_gc.ts";
import { slowestProbeLines } from "./_scale_slowest.ts";
import { readSchedStat, schedDelta } from "./_schedstat.ts";

/** One run's options. */
export interface ScaleOptions {
  routes: number;
  probes: number;
  /** Other routes rewritten per second while probing; 0 for none. */
  churn: number;
  /** Changes after the probes, before the final RSS reading. */
  changes: number;
  /** Where the gateway writes a V8 CPU profile (`--cpu-prof`), if anywhere. */
  cpuProfDir?: string;
  /** V8 flags for the gateway process (`--v8-flags=...`), e.g. `--max-semi-space-size=1`. */
  v8Flags?: string;
  /** The in-process fake API server (default) or the rig's real one. */
  api?: ScaleApi;
  /** The gateway's `main.ts` (default this checkout's): another checkout's, to compare. */
  mainPath?: string;
  /** The gateway's `--workers` (default: its own default, one). */
  workers?: string;
  /** The probe's poll schedule (`--poll`, see `ProbeTarget.schedule`; default `fixed`). */
  poll?: "fixed" | "after";
  /** With the real API server: writes of each kind to time after the gateway stopped (`--api-cost N`). */
  apiCost?: number;
  /**
   * A pause before each probe's change, ms (`--probe-gap`, default 0): the
   * previous change's status write and its watch echo are over by then, so
   * the create call is timed without them.
   */
  probeGapMs?: number;
  /**
   * Trace the gateway's garbage collections (`--gc-trace`): V8's
   * `--trace-gc` lines, put on the probes' clock, and each slow probe with
   * the pauses inside it (`_scale_gc.ts`).
   */
  gcTrace?: boolean;
}

/** Runs `deno run` with `--cpu-prof` into `dir` (the rest of the command line unchanged). */
function cpuProfPrefix(dir: string | undefined): string[] | undefined {
  if (dir === undefined) return undefined;
  const script = `d="$0"; shift; exec "$d" run --cpu-prof --cpu-prof-dir="${dir}" "$@"`;
  return ["sh", "-c", script];
}

/** Runs one configuration; every socket is on 127.0.0.1. */
export async function runScale(options: ScaleOptions): Promise<ScaleRun> {
  const port = freePort();
  const world = await startWorld(options.api ?? "fake", options.routes, port);
  const { kube } = world;
  const dir = await Deno.makeTempDir();
  const sourceArgs = await world.sourceArgs(dir);
  const client = new ProbeClient(port);
  const target = { client, served: world.served, schedule: options.poll };
  const inspectPort = freePort();
  const started = performance.now();
  const spawnedAt = Date.now();
  const v8Flags = [options.v8Flags, options.gcTrace ? GC_TRACE_FLAGS : undefined]
    .filter((f) => f).join(",");
  await using gw = await startGateway({
    args: [
      ...sourceArgs,
      ...["--log-level", "info"],
      ...(options.workers === undefined ? [] : ["--workers", options.workers]),
    ],
    waitFor: "nothing",
    prefix: cpuProfPrefix(options.cpuProfDir),
    mainPath: options.mainPath,
    denoFlags: [
      `--inspect=127.0.0.1:${inspectPort}`,
      ...(v8Flags ? [`--v8-flags=${v8Flags}`] : []),
    ],
  });
  try {
    const first = await probeUntilServed(target, `r-${options.routes - 1}.test`, started, 60_000);
    const startMs = first.ms;
    // Bounded: a gateway that never logs it shows NaN phases rather than hanging the run.
    await gw.waitForLog(isServedRecord, 30_000).catch(() => undefined);
    const startup = startupPhases(gw.logRecords(), spawnedAt);
    const probes: Probe[] = [];
    const timed: TimedProbe[] = [];
    const stopLag = watchLoopLag();
    const stopChurn = options.churn > 0
      ? churnRoutes(kube, world.route, options.routes, options.churn)
      : () => Promise.resolve(0);
    for (let i = 0; i < options.probes; i++) {
      const host = `probe-${i}.test`;
      if (options.probeGapMs) await new Promise((r) => setTimeout(r, options.probeGapMs));
      const threads = { gateway: gw.pid, bench: Deno.pid, backend: world.backendPid };
      const schedBefore = schedNow(threads);
      const t0 = performance.now();
      // A real API server's own write path (admission, etcd commit), beside the watch's.
      const created = kube.apply(world.route(`probe-${i}`, host))
        .then(() => performance.now() - t0);
      const probe = await probeUntilServed(target, host, t0, undefined, true);
      const schedAfter = schedNow(threads);
      probes.push(probe);
      // Awaited after the probe (its figure is taken): the answer may come after the 200.
      const createdMs = options.api === "real" ? await created : undefined;
      const sched = Object.fromEntries(
        Object.keys(threads).map((k) => [k, schedDelta(schedBefore[k], schedAfter[k])]),
      );
      timed.push({ ...probe, madeAt: performance.timeOrigin + t0, createdMs, sched });
    }
    const churned = await stopChurn();
    // After the probes, so its full collection does not clear what they would meet.
    let gcMark: GcMark | undefined;
    if (options.gcTrace) {
      const inspector = await InspectorSession.connect(inspectPort);
      gcMark = await markGc(inspector);
      inspector.close();
    }
    const loopLag = stopLag();
    const failed = kube.failures();
    if (failed.count > 0) throw new Error(`${failed.count} changes failed: ${failed.first}`);
    const costs = rebuildCosts(gw.logRecords());
    const phases = phaseBreakdown(gw.logRecords(), timed);
    const rss: number[] = [rssMiB(gw.pid)];
    for (let i = 0; i < options.changes; i++) {
      // A rewrite moves route r-k to a new host name: served means applied.
      const k = i % options.routes;
      const host = `moved-${i}.test`;
      const t0 = performance.now();
      kube.apply(world.route(`r-${k}`, host));
      await probeUntilServed(target, host, t0);
      if (i + 1 === Math.floor(options.changes / 2)) rss.push(rssMiB(gw.pid));
    }
    rss.push(rssMiB(gw.pid));
    const heap = heapMiB(await (await gw.admin("/metrics")).text());
    const inspector = await InspectorSession.connect(inspectPort);
    const afterGc = await inspector.memoryAfterGc();
    inspector.close();
    // A graceful stop, so a CPU profile gets written.
    await gw.stop();
    const pauses = gcMark === undefined ? undefined : gcPauses(gw.logs(), gcMark);
    const slowest = [
      ...(pauses === undefined ? [] : [gcSummaryLine(timed, pauses)]),
      ...slowestProbeLines(timed, phases.perProbe, pauses),
    ];
    // With the gateway stopped, only the API server's own work is timed.
    const apiCost = options.apiCost && kube.raw
      ? {
        ...await measureApiCost(kube.raw, (name) =>
          world.route(name, `${name}.test`), options.apiCost),
        probeCreates: timed.flatMap((t) =>
          t.createdMs ?? []
        ),
      }
      : undefined;
    return {
      ...summarise(options, { startMs, probes, churned, costs, rss, heap }),
      poll: options.poll ?? "fixed",
      startup,
      phases,
      loopLag,
      polls: spread(probes.flatMap((p) => p.pollsMs)),
      afterGc: { rss: afterGc.rss / 1048576, heapUsed: afterGc.heapUsed / 1048576 },
      apiCost,
      slowest,
    };
  } finally {
    client.close();
    await world.close();
  }
}

/** The main threads' scheduling counters now, by name (a process without a pid: none). */
function schedNow(
  pids: Record<string, number | undefined>,
): Record<string, ReturnType<typeof readSchedStat>> {
  return Object.fromEntries(
    Object.entries(pids).map(([k, pid]) => [k, pid === undefined ? undefined : readSchedStat(pid)]),
  );
}

/**
 * The API servers to run against: `--api fake|real|fake,real`; by default
 * the fake, and the real one beside it when the conformance rig's build is
 * cached and Go is on the path (the referee).
 */
async function apisToRun(): Promise<ScaleApi[]> {
  if (flag("source", "kube") === "files") return ["files"];
  if (Deno.args.includes("--api")) {
    return flag("api", "fake").split(",").map((a) => a === "real" ? "real" : "fake");
  }
  return await realApiAvailable() ? ["fake", "real"] : ["fake"];
}

if (import.meta.main) {
  const { printTable } = await import("./_scale_probe.ts");
  const runs: ScaleRun[] = [];
  for (const api of await apisToRun()) {
    for (const routes of flag("routes", "3000").split(",").map(Number)) {
      runs.push(
        await runScale({
          routes,
          probes: Number(flag("probes", "30")),
          churn: Number(flag("churn", "0")),
          changes: Number(flag("changes", "30")),
          cpuProfDir: Deno.args.includes("--cpu-prof") ? flag("cpu-prof", "") : undefined,
          v8Flags: Deno.args.includes("--v8-flags") ? flag("v8-flags", "") : undefined,
          api,
          mainPath: Deno.args.includes("--main") ? flag("main", "") : undefined,
          workers: Deno.args.includes("--workers") ? flag("workers", "1") : undefined,
          poll: flag("poll", "fixed") === "after" ? "after" : "fixed",
          apiCost: Deno.args.includes("--api-cost")
            ? Number(flag("api-cost", "20")) || 20
            : undefined,
          probeGapMs: Number(flag("probe-gap", "0")),
          gcTrace: Deno.args.includes("--gc-trace"),
        }),
      );
    }
  }
  printTable(runs, Deno.args.includes("--json"));
  if (runs.some((r) => r.failures > 0)) Deno.exit(1);
}
