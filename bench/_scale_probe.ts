/**
 * The probe of `bench/scale.ts`: poll one host every 5 ms until its first 200,
 * counting any other answer than 404 or 200 on the way; and the table the
 * benchmark prints.
 * @module
 */
// deno-lint-ignore-file no-console
import type { RebuildCosts, Spread, StartupPhases } from "./_scale_churn.ts";
import { type PhaseBreakdown, phaseLines, splitLines } from "./_scale_phases.ts";
import type { ProbeClient } from "./_probe_client.ts";
import { type ApiCost, apiCostLines } from "./_api_cost.ts";

/** Where probes go. */
export interface ProbeTarget {
  /** One kept-alive connection to the gateway's port. */
  client: ProbeClient;
  /** The status of a served route's answer (default 200). */
  served?: number;
  /**
   * `fixed` (default): a poll is sent every 5 ms from the change, on a
   * fixed schedule (a slot missed while a poll was out is skipped); `after`:
   * 5 ms after each answer, so a poll cycle is 5 ms plus the round trip plus
   * the timer's lateness (the yardstick of the figures before 2026-11-30).
   */
  schedule?: "fixed" | "after";
}

/** One probe: time to the first 200, and the answers that were neither 404 nor 200. */
export interface Probe {
  ms: number;
  unexpected: string[];
  /** When the 200 came, wall-clock ms (`performance.timeOrigin` based, sub-ms). */
  answeredAt: number;
  /** How long that last request took, ms. */
  requestMs: number;
  /** A second request on the same host right after the first 200, ms (with `warm`). */
  warmMs?: number;
  /** Round trips of the polls answered 404 before it, ms. */
  pollsMs: number[];
}

const POLL_MS = 5;

/**
 * Polls `host` until it answers 200; `t0` is when the change was made.
 * Connection errors count as unexpected, except while nothing listens yet
 * (`allowRefused`, the start-up probe).
 */
export async function probeUntilServed(
  target: ProbeTarget,
  host: string,
  t0: number,
  timeoutMs = 30_000,
  warm = false,
): Promise<Probe> {
  const unexpected: string[] = [];
  const pollsMs: number[] = [];
  const allowRefused = timeoutMs > 30_000;
  for (;;) {
    const sent = performance.now();
    try {
      const status = await target.client.status(host);
      if (status === (target.served ?? 200)) {
        const now = performance.now();
        const answeredAt = performance.timeOrigin + now;
        const probe: Probe = {
          ms: now - t0,
          unexpected,
          answeredAt,
          requestMs: now - sent,
          pollsMs,
        };
        // The same request again: what the first one cost beyond a warm one.
        if (warm) probe.warmMs = await timedStatus(target, host, unexpected);
        return probe;
      }
      if (status !== 404) unexpected.push(`${status}`);
      else pollsMs.push(performance.now() - sent);
    } catch (error) {
      if (!allowRefused) unexpected.push(error instanceof Error ? error.message : String(error));
    }
    const now = performance.now();
    if (now - t0 > timeoutMs) {
      throw new Error(`Cannot see route ${host} served within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, pollWait(target.schedule, t0, now)));
  }
}

/**
 * Milliseconds until the next poll: the next slot of a 5 ms schedule from
 * `t0` (`fixed`), or 5 ms from now (`after`).
 */
export function pollWait(schedule: ProbeTarget["schedule"], t0: number, now: number): number {
  if (schedule === "after") return POLL_MS;
  const next = t0 + (Math.floor((now - t0) / POLL_MS) + 1) * POLL_MS;
  return next - now;
}

/** One more request's round trip on a served `host`, ms; another answer is noted as unexpected. */
async function timedStatus(
  target: ProbeTarget,
  host: string,
  unexpected: string[],
): Promise<number> {
  const sent = performance.now();
  const status = await target.client.status(host);
  const ms = performance.now() - sent;
  if (status !== (target.served ?? 200)) unexpected.push(`${status} after the first`);
  return ms;
}

/** What `printTable` shows for one configuration. */
export interface ScaleRun {
  /** Where objects came from: the fake or real API server, or manifest files. */
  api?: string;
  routes: number;
  churn: number;
  probes: number;
  /** Start of the process to the first 200 of a route present before it started. */
  startMs: number;
  meanMs: number;
  maxMs: number;
  failures: number;
  firstFailures: string[];
  churned: number;
  costs: RebuildCosts;
  changes: number;
  /** RSS in MiB: after the probes, halfway through the changes, after them. */
  rss: number[];
  /** V8 heap used / reserved at the end, MiB. */
  heap: { used: number; total: number };
  /** Where start-up went (ms from the spawn). */
  startup?: StartupPhases;
  /** Where the probes' propagation time went. */
  phases?: PhaseBreakdown;
  /** Round trips of the probes' 404 polls (the gateway idle or busy, the harness's client), ms. */
  polls?: Spread;
  /** How late the benchmark's own 5 ms timer ran while probing, ms. */
  loopLag?: Spread;
  /** RSS and V8 heap used (MiB) after a full garbage collection, at the end. */
  afterGc?: { rss: number; heapUsed: number };
  /** The probe's poll schedule. */
  poll?: "fixed" | "after";
  /** What the real API server costs for one write (`--api-cost`). */
  apiCost?: ApiCost;
  /** The slowest probes' spans, CPU waits and (`--gc-trace`) the gateway's collections. */
  slowest?: string[];
}

/** Builds a {@linkcode ScaleRun} from raw measurements. */
export function summarise(
  options: { api?: string; routes: number; churn: number; probes: number; changes: number },
  raw: {
    startMs: number;
    probes: Probe[];
    churned: number;
    costs: RebuildCosts;
    rss: number[];
    heap: { used: number; total: number };
  },
): ScaleRun {
  const ms = raw.probes.map((p) => p.ms);
  const unexpected = raw.probes.flatMap((p) => p.unexpected);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    api: options.api,
    routes: options.routes,
    churn: options.churn,
    probes: options.probes,
    changes: options.changes,
    startMs: round(raw.startMs),
    meanMs: round(ms.reduce((a, b) => a + b, 0) / Math.max(1, ms.length)),
    maxMs: round(Math.max(0, ...ms)),
    failures: unexpected.length,
    firstFailures: unexpected.slice(0, 5),
    churned: raw.churned,
    costs: raw.costs,
    rss: raw.rss.map(round),
    heap: { used: round(raw.heap.used), total: round(raw.heap.total) },
  };
}

function sourceName(api: string | undefined): string {
  return api === "files" ? "files source" : `kube source (${api ?? "fake"} API server)`;
}

/** Prints the runs as a table (or JSON lines). */
export function printTable(runs: ScaleRun[], json: boolean): void {
  if (json) {
    for (const run of runs) console.log(JSON.stringify(run));
    return;
  }
  for (const r of runs) {
    const c = r.costs;
    console.log(
      [
        `routes ${r.routes}, ${sourceName(r.api)}, churn ${r.churn}/s (${r.churned} rewrites),` +
        ` ${r.probes} probes, polled every 5 ms ${
          r.poll === "after" ? "after each answer" : "on a fixed schedule"
        }:`,
        `  first 200 after start       ${r.startMs} ms`,
        `  propagation mean / max      ${r.meanMs} / ${r.maxMs} ms` +
        `  (answers other than 404/200: ${r.failures}${
          r.failures ? ` e.g. ${r.firstFailures.join(", ")}` : ""
        })`,
        ...(r.phases ? splitLines(r.phases) : []),
        `  per rebuild (${c.rebuilds}), mean / max:  translate ${c.translate.mean} / ${c.translate.max} ms,` +
        ` compile ${c.compile.mean} / ${c.compile.max} ms, status ${c.status.mean} / ${c.status.max} ms,` +
        ` total ${c.total.mean} / ${c.total.max} ms`,
        ...(r.phases ? phaseLines(r.phases) : []),
        ...(r.slowest ?? []),
        ...(r.polls
          ? [`  a 404 poll's round trip mean / max ${r.polls.mean} / ${r.polls.max} ms`]
          : []),
        ...(r.loopLag
          ? [
            `  the benchmark's event loop, 5 ms timer late mean / max ${r.loopLag.mean} / ${r.loopLag.max} ms`,
          ]
          : []),
        `  RSS MiB after probes, after ${Math.floor(r.changes / 2)} and ${r.changes} changes: ` +
        r.rss.join(" / ") + `; V8 heap used ${r.heap.used} of ${r.heap.total} MiB`,
        ...(r.afterGc
          ? [
            `  after a full GC: RSS ${r.afterGc.rss.toFixed(1)} MiB,` +
            ` V8 heap used ${r.afterGc.heapUsed.toFixed(1)} MiB`,
          ]
          : []),
        ...(r.startup
          ? [
            `  start-up, ms from spawn: loaded ${r.startup.loaded}, listed ${r.startup.synced},` +
            ` first table served ${r.startup.served} (translate ${r.startup.translateMs},` +
            ` compile ${r.startup.compileMs}), first 200 ${r.startMs}`,
          ]
          : []),
        ...(r.apiCost
          ? apiCostLines(r.apiCost, `${r.routes + r.probes} HTTPRoutes stored, gateway stopped`)
          : []),
      ].join("\n"),
    );
  }
}
