/**
 * Where a probe's propagation time went, for `bench/scale.ts`: each probe
 * (the change made at `madeAt`, its first 200 at `answeredAt`, both
 * wall-clock ms) is matched with the rebuild whose table answered it, the
 * last one swapped in before the 200, and the path is cut at the moments
 * the reconciler logs: the API server and watch stream up to the store, the
 * holdoff, the wait behind a rebuild in progress, translate, compile, the
 * rest of the rebuild before the swap, and the swap to the probe's 200 (its
 * poll interval and the request itself). Each probe's gateway-side span (the
 * change in its store → the swap) is kept beside the time the probe saw, so a
 * reader tells what the gateway costs from what the harness does.
 * @module
 */
import { type Spread, spread } from "./_scale_churn.ts";
import type { SchedStat } from "./_schedstat.ts";

/** A probe as the phases need it (wall-clock ms). */
export interface TimedProbe {
  madeAt: number;
  answeredAt: number;
  /** The last request's own round trip. */
  requestMs: number;
  /** A second request on the same route right after, ms. */
  warmMs?: number;
  /** The API server's answer to the create call (a real one: its admission and etcd commit), ms. */
  createdMs?: number;
  /**
   * Each process's main thread from the change to the probe's second
   * request: ms on a CPU and ms runnable but waiting for one.
   */
  sched?: Record<string, SchedStat | undefined>;
}

/** Mean and max of each phase over the matched probes, in ms. */
export interface PhaseBreakdown {
  matched: number;
  /** The change applied to the API server → the store changed in the gateway. */
  toStore: Spread;
  /** The create call's answer, ms from the change (a real API server's write path). */
  created: Spread;
  /** The create call answered → the change in the gateway's store (the watch's delivery). */
  createdToStore: Spread;
  holdoff: Spread;
  /** Waiting for a rebuild in progress to end. */
  queued: Spread;
  translate: Spread;
  compile: Spread;
  /** Snapshot, bookkeeping and anything else between the rebuild's start and the swap. */
  otherBuild: Spread;
  /** The swap → the probe's 200 (its poll wait and round trip). */
  toAnswer: Spread;
  /** The 200's own request. */
  request: Spread;
  /** A second request on the same route, right after the 200. */
  warm: Spread;
  /** The rebuild's work after the swap (ports, metrics, status), holding the event loop. */
  afterSwap: Spread;
  /** The swap → the 200's request was sent (the poll interval, mostly). */
  toSend: Spread;
  /** The part of swap → 200 spent before the 200's poll was sent (0 when it was sent before the swap). */
  pollWait: Spread;
  /** The gateway's own span: the change in its store → the swap. */
  gateway: Spread;
  /** The rest of what a probe saw: API server and watch, swap → 200. */
  harness: Spread;
  /** Per matched probe, in order: observed (change → 200) = to the store + gateway + swap → 200, ms. */
  perProbe: ProbeSpans[];
}

/** One matched probe's spans (ms), and which probe it is. */
export interface ProbeSpans {
  /** The probe's index among those given. */
  probe: number;
  observed: number;
  toStore: number;
  gateway: number;
  toAnswer: number;
  /** Of `toAnswer`: the 200's own request. */
  request: number;
}

interface Served {
  changedAt?: number;
  holdoffMs?: number;
  queuedMs?: number;
  swappedAt: number;
  doneAt?: number;
  durationMs: number;
  translateMs: number;
  compileMs: number;
  listenersMs: number;
  statusMs: number;
}

function servedRecords(records: Record<string, unknown>[]): Served[] {
  return records
    .filter((r) => typeof r.msg === "string" && r.msg.startsWith("configuration served"))
    .filter((r) => typeof r.swappedAt === "number") as unknown as Served[];
}

/** The phases of every probe that a logged rebuild explains. */
export function phaseBreakdown(
  records: Record<string, unknown>[],
  probes: TimedProbe[],
): PhaseBreakdown {
  const served = servedRecords(records);
  const rows: Record<keyof Omit<PhaseBreakdown, "matched" | "perProbe">, number>[] = [];
  const indexes: number[] = [];
  for (const [index, probe] of probes.entries()) {
    let rebuild: Served | undefined;
    for (const r of served) {
      if (r.swappedAt > probe.answeredAt) break;
      if (r.swappedAt > probe.madeAt) rebuild = r;
    }
    if (rebuild?.changedAt === undefined) continue;
    indexes.push(index);
    const startedAt = rebuild.changedAt + (rebuild.holdoffMs ?? 0) + (rebuild.queuedMs ?? 0);
    const built = rebuild.swappedAt - startedAt;
    rows.push({
      toStore: rebuild.changedAt - probe.madeAt,
      created: probe.createdMs ?? NaN,
      createdToStore: rebuild.changedAt - probe.madeAt - (probe.createdMs ?? NaN),
      holdoff: rebuild.holdoffMs ?? 0,
      queued: rebuild.queuedMs ?? 0,
      translate: rebuild.translateMs,
      compile: rebuild.compileMs,
      otherBuild: built - rebuild.translateMs - rebuild.compileMs,
      toAnswer: probe.answeredAt - rebuild.swappedAt,
      request: probe.requestMs,
      warm: probe.warmMs ?? NaN,
      afterSwap: (rebuild.doneAt ?? NaN) - rebuild.swappedAt,
      toSend: probe.answeredAt - probe.requestMs - rebuild.swappedAt,
      pollWait: Math.max(0, probe.answeredAt - probe.requestMs - rebuild.swappedAt),
      gateway: rebuild.swappedAt - rebuild.changedAt,
      harness: probe.answeredAt - probe.madeAt - (rebuild.swappedAt - rebuild.changedAt),
    });
  }
  const of = (k: keyof (typeof rows)[number]) =>
    spread(rows.map((r) => r[k]).filter((n) => !Number.isNaN(n)));
  return {
    matched: rows.length,
    toStore: of("toStore"),
    created: of("created"),
    createdToStore: of("createdToStore"),
    holdoff: of("holdoff"),
    queued: of("queued"),
    translate: of("translate"),
    compile: of("compile"),
    otherBuild: of("otherBuild"),
    toAnswer: of("toAnswer"),
    request: of("request"),
    warm: of("warm"),
    afterSwap: of("afterSwap"),
    toSend: of("toSend"),
    pollWait: of("pollWait"),
    gateway: of("gateway"),
    harness: of("harness"),
    perProbe: rows.map((r, i) => ({
      probe: indexes[i],
      observed: r.gateway + r.harness,
      request: r.request,
      toStore: r.toStore,
      gateway: r.gateway,
      toAnswer: r.toAnswer,
    })),
  };
}

/** One line per phase, for the table. */
export function phaseLines(p: PhaseBreakdown): string[] {
  const f = (s: Spread) => `${s.mean} / ${s.max}`;
  return [
    `  where propagation went (${p.matched} probes), mean / max ms:`,
    `    API server + watch → store ${f(p.toStore)}${
      Number.isNaN(p.created.mean) ? "" : ` (the create call answered ${f(p.created)})`
    }, holdoff ${f(p.holdoff)},` +
    ` behind a running rebuild ${f(p.queued)}`,
    `    translate ${f(p.translate)}, compile ${f(p.compile)}, rest of the build ${
      f(p.otherBuild)
    }`,
    `    swap → first 200 ${f(p.toAnswer)}: swap → its request sent ${f(p.toSend)},` +
    ` that request ${f(p.request)} (a second one on the route ${f(p.warm)});` +
    ` the rebuild's work after the swap ${f(p.afterSwap)}`,
    `  gateway (store → swap) ${f(p.gateway)}, harness (API server, watch, swap → 200)` +
    ` ${f(p.harness)}`,
    `  per probe, observed = API server + watch → store, + gateway, + swap → 200 (ms):`,
    ...perProbeLines(p.perProbe),
  ];
}

/**
 * The propagation figure cut into spans that add up, per probe mean / max:
 * the create call (a real API server's answer; with the fake it answers at
 * once and is folded into the next span), its answer → the event in the
 * gateway's store (the watch's delivery and the gateway's decode), the
 * event → the swap (holdoff, translate, compile), the swap → the first 200
 * (the wait for the next 5 ms poll, then that poll's round trip; a poll
 * sent before the swap and answered after it waits none).
 */
export function splitLines(p: PhaseBreakdown): string[] {
  const row = (label: string, s: Spread, note = "") =>
    `    ${label.padEnd(48)}${s.mean.toFixed(2).padStart(7)} / ${
      s.max.toFixed(2).padStart(6)
    }${note}`;
  const real = !Number.isNaN(p.created.mean);
  return [
    `  propagation split (${p.matched} probes), mean / max ms:`,
    ...(real
      ? [
        row("create call answered by the API server", p.created),
        row("create answered → event in the gateway's store", p.createdToStore),
      ]
      : [row("change → event in the gateway's store", p.toStore)]),
    row("event in the store → table swapped", p.gateway),
    row(
      "table swapped → first 200 seen by the probe",
      p.toAnswer,
      `  (of which waiting for the next 5 ms poll ${p.pollWait.mean.toFixed(2)})`,
    ),
    row("= propagation", spread(p.perProbe.map((x) => x.observed))),
  ];
}

/** The per-probe sums, six to a line. */
function perProbeLines(probes: PhaseBreakdown["perProbe"]): string[] {
  const f = (n: number) => n.toFixed(1);
  const cells = probes.map((x) =>
    `${f(x.observed)} = ${f(x.toStore)} + ${f(x.gateway)} + ${f(x.toAnswer)}`
  );
  const lines: string[] = [];
  for (let i = 0; i < cells.length; i += 6) lines.push(`    ${cells.slice(i, i + 6).join(";  ")}`);
  return lines;
}
