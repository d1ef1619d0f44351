/**
 * The slowest probes of `bench/scale.ts`, one line each: the spans that add
 * up to what the probe saw (the change → the gateway's store, the gateway's
 * own store → swap, the swap → the first 200 and that request's own round
 * trip), how long each process's main thread ran and waited for a CPU while
 * runnable during the probe (`_schedstat.ts`), and with `--gc-trace` the
 * gateway's collections inside it. A slow probe whose threads waited for a
 * CPU as long as it was slow was held by the machine's other load, not by
 * the gateway's work.
 * @module
 */
import type { ProbeSpans, TimedProbe } from "./_scale_phases.ts";
import type { SchedStat } from "./_schedstat.ts";
import { type GcPause, pausesIn } from "./_scale_gc.ts";

const f = (n: number) => n.toFixed(1);

/** Lines for the `slowest` probes, slowest first. */
export function slowestProbeLines(
  probes: TimedProbe[],
  spans: ProbeSpans[],
  pauses: GcPause[] | undefined,
  slowest = 6,
): string[] {
  const ranked = probes.map((probe, i) => ({ probe, i }))
    .sort((a, b) => duration(b.probe) - duration(a.probe))
    .slice(0, slowest);
  return [
    `  slowest probes, ms: observed = to the store + gateway + swap → 200 [its request];` +
    ` main threads ran/waited for a CPU${pauses === undefined ? "" : "; the gateway's GC inside"}:`,
    ...ranked.map(({ probe, i }) => {
      const s = spans.find((x) => x.probe === i);
      const split = s === undefined
        ? ""
        : ` = ${f(s.toStore)} + ${f(s.gateway)} + ${f(s.toAnswer)} [${f(s.request)}]`;
      const sched = Object.entries(probe.sched ?? {})
        .map(([name, st]) => `${name} ${schedText(st)}`).join(", ");
      const gc = pauses === undefined ? "" : `; GC ${gcText(probe, pauses)}`;
      return `    #${i}: ${f(duration(probe))}${split}; ${sched}${gc}`;
    }),
  ];
}

function duration(p: TimedProbe): number {
  return p.answeredAt - p.madeAt;
}

function schedText(s: SchedStat | undefined): string {
  return s === undefined ? "?" : `${f(s.runMs)}/${f(s.waitMs)}`;
}

function gcText(probe: TimedProbe, pauses: GcPause[]): string {
  const inside = pausesIn(probe, pauses);
  if (inside.length === 0) return "none";
  return inside.map((g) =>
    `${g.kind} ${f(g.pauseMs)} @ ${f(g.endAt - g.pauseMs - probe.madeAt)}${
      g.longestStepMs === undefined ? "" : ` (longest step ${f(g.longestStepMs)})`
    }`
  ).join(", ");
}
