/**
 * Helpers of `bench/scale.ts`: background route churn, the reconciler's
 * per-rebuild costs read from its log, and a process's resident memory.
 * @module
 */
import type { KubeObjectLike, ScaleKube } from "./_real_kube.ts";

const TICK_MS = 10;

/**
 * Rewrites `perSecond` of the routes `r-0 … r-(routes-1)` every second (a
 * path prefix that flips), in ticks of 10 ms, until the returned function is
 * called; it resolves with the number of rewrites.
 */
export function churnRoutes(
  kube: Pick<ScaleKube, "apply" | "settled">,
  route: (name: string, host: string, prefix: string) => KubeObjectLike,
  routes: number,
  perSecond: number,
): () => Promise<number> {
  let done = 0;
  const started = performance.now();
  const timer = setInterval(() => {
    // Catch up by elapsed time: a late tick must not lower the rate.
    const due = Math.floor(((performance.now() - started) / 1000) * perSecond);
    for (; done < due; done++) {
      const k = done % routes;
      const prefix = Math.floor(done / routes) % 2 === 0 ? "/churned" : "/";
      kube.apply(route(`r-${k}`, `r-${k}.test`, prefix));
    }
  }, TICK_MS);
  return async () => {
    clearInterval(timer);
    await kube.settled();
    return done;
  };
}

/** Mean and max of one measure, in ms. */
export interface Spread {
  mean: number;
  max: number;
}

/** Per-rebuild costs, from the reconciler's log. */
export interface RebuildCosts {
  rebuilds: number;
  translate: Spread;
  compile: Spread;
  status: Spread;
  total: Spread;
}

/** Mean and max, rounded to 0.01 ms (NaN for none). */
export function spread(values: number[]): Spread {
  const round = (n: number) => Math.round(n * 100) / 100;
  if (values.length === 0) return { mean: NaN, max: NaN };
  return {
    mean: round(values.reduce((a, b) => a + b, 0) / values.length),
    max: round(Math.max(...values)),
  };
}

/** The costs of every rebuild after the first (the initial sync is not a change). */
export function rebuildCosts(records: Record<string, unknown>[]): RebuildCosts {
  const served = records.filter(isServedRecord).slice(1);
  const field = (name: string) =>
    served.map((r) => r[name]).filter((v): v is number => typeof v === "number");
  return {
    rebuilds: served.length,
    translate: spread(field("translateMs")),
    compile: spread(field("compileMs")),
    status: spread(field("statusMs")),
    total: spread(field("durationMs")),
  };
}

/** V8 heap used and reserved in MiB, from a Prometheus text page with the default metrics. */
export function heapMiB(metrics: string): { used: number; total: number } {
  const read = (name: string) =>
    Number(new RegExp(`^${name} (\\S+)`, "m").exec(metrics)?.[1] ?? NaN) / 1048576;
  return { used: read("nodejs_heap_size_used_bytes"), total: read("nodejs_heap_size_total_bytes") };
}

/** Resident memory of process `pid` in MiB (Linux). */
export function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kib = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
  return kib / 1024;
}

/** Where the time from spawning the gateway to its first 200 went, in ms from the spawn. */
export interface StartupPhases {
  /** First log line: the runtime is up and `main.ts` loaded. */
  loaded: number;
  /** `initial sync complete`: every kind listed. */
  synced: number;
  /**
   * The first `configuration served`: translated, compiled, swapped, ports
   * bound (and, with `--workers`, the workers' tables swapped too).
   */
  served: number;
  /** That rebuild's own translate and compile times. */
  translateMs: number;
  compileMs: number;
}

/** Whether a log record is a rebuild's `configuration served` line. */
export function isServedRecord(record: Record<string, unknown>): boolean {
  return typeof record.msg === "string" && record.msg.startsWith("configuration served");
}

/**
 * Startup phases from the gateway's log (its `time` fields) against the spawn
 * time. With `--workers`, the first `configuration served` is logged once the
 * workers took the table, which may be after the first 200 (the main isolate
 * answers meanwhile): wait for it (`isServedRecord`) before reading.
 */
export function startupPhases(
  records: Record<string, unknown>[],
  spawnedAt: number,
): StartupPhases {
  const at = (r: Record<string, unknown> | undefined) =>
    r === undefined ? NaN : Math.round(Date.parse(String(r.time)) - spawnedAt);
  const served = records.find(isServedRecord);
  return {
    loaded: at(records[0]),
    synced: at(records.find((r) => r.msg === "initial sync complete")),
    served: at(served),
    translateMs: Number(served?.translateMs ?? NaN),
    compileMs: Number(served?.compileMs ?? NaN),
  };
}
