/**
 * The gateway's garbage collections during the probes of `bench/scale.ts`
 * (`--gc-trace`): the gateway runs with V8's `--trace-gc` (one line a
 * collection on its standard output, stamped with whole milliseconds since
 * the isolate began) and `--expose-gc`; one `gc()` called through the
 * inspector just before the probes, between two `performance.now()`
 * readings, ties that clock to the wall clock the probes use. Each probe is
 * then given the pauses that fell inside its window (the change → its first
 * 200), so a reader sees whether the slowest probes are the ones a
 * collection held up. The stamp is whole milliseconds at the collection's end,
 * so a pause is placed within about a millisecond.
 * @module
 */
import type { InspectorSession } from "./_inspector.ts";
import type { TimedProbe } from "./_scale_phases.ts";

/** One collection: when it ended (wall-clock ms), its main-thread pause, its kind. */
export interface GcPause {
  endAt: number;
  pauseMs: number;
  kind: string;
  /** The longest incremental-marking step before a mark-compact, ms, when the line says. */
  longestStepMs?: number;
}

/** V8 flags the gateway needs for this. */
export const GC_TRACE_FLAGS = "--trace-gc,--expose-gc";

/** What one `--trace-gc` line says, its stamp still the isolate's ms. */
export interface GcLine {
  ms: number;
  kind: string;
  pauseMs: number;
  reason: string;
  longestStepMs?: number;
}

const LINE =
  /^\[\d+:0x[0-9a-f]+(?::\d+)?\]\s+(\d+) ms: ([A-Za-z -]+?(?: \(reduce\))?) [\d.]+ \([\d.]+\) -> [\d.]+ \([\d.]+\) MB, (?:pooled: [\d.]+ MB, )?([\d.]+) \/ [\d.]+ ms (.*)$/;

/** Parses one `--trace-gc` line; undefined for any other line. */
export function parseGcLine(line: string): GcLine | undefined {
  const m = LINE.exec(line);
  if (m === null) return undefined;
  const step = /biggest step ([\d.]+) ms/.exec(m[4]);
  return {
    ms: Number(m[1]),
    kind: m[2],
    pauseMs: Number(m[3]),
    reason: m[4],
    ...(step ? { longestStepMs: Number(step[1]) } : {}),
  };
}

/** The wall-clock moments around one `gc()` inside the gateway, for {@linkcode gcPauses}. */
export interface GcMark {
  before: number;
  after: number;
}

/** Runs one full collection in the gateway (started with `--expose-gc`) and says when. */
export async function markGc(inspector: InspectorSession): Promise<GcMark> {
  const expression = "(() => { const a = performance.now(); gc(); const b = performance.now();" +
    " return JSON.stringify([performance.timeOrigin + a, performance.timeOrigin + b]); })()";
  const result = await inspector.call("Runtime.evaluate", { expression, returnByValue: true }) as {
    result: { value?: string };
    exceptionDetails?: unknown;
  };
  if (result.result.value === undefined) {
    throw new Error(`Cannot run gc() in the gateway: ${JSON.stringify(result.exceptionDetails)}`);
  }
  const [before, after] = JSON.parse(result.result.value) as number[];
  return { before, after };
}

/**
 * The collections of the gateway's output `lines`, on the wall clock: the
 * first `testing` collection is the mark's (its end stamp is `mark.after`,
 * within the stamp's millisecond).
 */
export function gcPauses(lines: string[], mark: GcMark): GcPause[] {
  const parsed = lines.map(parseGcLine).filter((l): l is GcLine => l !== undefined);
  const marker = parsed.find((l) => l.reason.includes("testing"));
  if (marker === undefined) return [];
  // The stamp truncates: the end was in [ms, ms + 1).
  const offset = mark.after - (marker.ms + 0.5);
  return parsed.filter((l) => l !== marker).map((l) => ({
    endAt: l.ms + 0.5 + offset,
    pauseMs: l.pauseMs,
    kind: l.kind,
    ...(l.longestStepMs === undefined ? {} : { longestStepMs: l.longestStepMs }),
  }));
}

/** The pauses that overlap a probe's window (`madeAt` → `answeredAt`). */
export function pausesIn(probe: TimedProbe, pauses: GcPause[]): GcPause[] {
  return pauses.filter((p) => p.endAt > probe.madeAt && p.endAt - p.pauseMs < probe.answeredAt);
}

/** The line for the table: the collections during the probes, by kind, and how many probes met one. */
export function gcSummaryLine(probes: TimedProbe[], pauses: GcPause[]): string {
  if (probes.length === 0) return "";
  const from = probes[0].madeAt;
  const to = probes[probes.length - 1].answeredAt;
  const during = pauses.filter((p) => p.endAt > from && p.endAt - p.pauseMs < to);
  const byKind = new Map<string, number[]>();
  for (const p of during) byKind.set(p.kind, [...byKind.get(p.kind) ?? [], p.pauseMs]);
  const f = (n: number) => n.toFixed(1);
  const kinds = [...byKind].map(([kind, ms]) =>
    `${ms.length} ${kind} (pause mean ${f(ms.reduce((a, b) => a + b, 0) / ms.length)}, max ${
      f(Math.max(...ms))
    })`
  );
  const hit = probes.filter((probe) => pausesIn(probe, pauses).length > 0).length;
  return `  the gateway's GC while probing: ${kinds.join(", ") || "none"};` +
    ` ${hit} of ${probes.length} probes had a pause inside`;
}
