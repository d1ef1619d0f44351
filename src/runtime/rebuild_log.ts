/**
 * The reconciler's one log line per served configuration, and the timeline
 * it carries: when the change behind the rebuild reached the store, how long
 * the holdoff and any rebuild in progress held it, what translate, compile,
 * listeners and status took, and when the new table was swapped in. Times
 * are wall-clock milliseconds with a fractional part (`performance.timeOrigin`
 * plus `performance.now()`), so another process on the same host (a
 * benchmark that made the change and probes for it) can line its own
 * timestamps up with them.
 *
 * @example
 * ```ts
 * import { epochMs } from "./rebuild_log.ts";
 * const now = epochMs(performance.now()); // ≈ Date.now(), with sub-ms precision
 * ```
 * @module
 */
import type { Logger } from "../log/logger.ts";
import type { Problem, TranslateResult } from "../model/config.ts";
import type { ListenerPortState } from "../dataplane/listener_port_state.ts";

/** `performance.now()`-based `ms` as wall-clock milliseconds. */
export function epochMs(ms: number): number {
  return performance.timeOrigin + ms;
}

/** Where one rebuild's time went; every `…At` is `performance.now()`-based. */
export interface RebuildTimeline {
  /** The first store change the rebuild serves, when it came through a change signal. */
  changedAt?: number;
  /** When the store's holdoff signalled that change. */
  signalledAt?: number;
  /** When the rebuild began (after any rebuild in progress). */
  startedAt: number;
  translateMs: number;
  compileMs: number;
  /** When the new table was swapped in: from here a request sees it. */
  swappedAt: number;
  /** Binding and closing ports after the swap. */
  listenersMs: number;
  statusMs: number;
  /** When the rebuild finished. */
  doneAt: number;
}

/** What the log line says besides the timeline. */
export interface ServedFacts {
  reason: string;
  generation: number;
  result: TranslateResult;
  sourceProblems: Problem[];
  listeners: ListenerPortState[];
}

const round = (n: number) => Math.round(n * 100) / 100;

/** The timeline as log fields: costs in ms, moments as wall-clock ms. */
export function timelineFields(t: RebuildTimeline): Record<string, number> {
  return {
    durationMs: round(t.doneAt - t.startedAt),
    // Where a rebuild's time goes: the per-change cost, watched at scale.
    translateMs: round(t.translateMs),
    compileMs: round(t.compileMs),
    statusMs: round(t.statusMs),
    listenersMs: round(t.listenersMs),
    ...(t.changedAt === undefined || t.signalledAt === undefined ? {} : {
      changedAt: round(epochMs(t.changedAt)),
      holdoffMs: round(t.signalledAt - t.changedAt),
      queuedMs: round(t.startedAt - t.signalledAt),
    }),
    swappedAt: round(epochMs(t.swappedAt)),
    // The work after the swap (ports, metrics, status) holds the event loop
    // until here: a request that came meanwhile waited for it.
    doneAt: round(epochMs(t.doneAt)),
  };
}

/** Logs "configuration served" (a warning when ports are unbound or problems exist). */
export function logServed(log: Logger, facts: ServedFacts, timeline: RebuildTimeline): void {
  const { result, sourceProblems } = facts;
  const fields = {
    reason: facts.reason,
    generation: facts.generation,
    ports: result.config.ports.map((p) =>
      p.address === undefined ? p.port : `${p.address}:${p.port}`
    ),
    problems: result.problems.length,
    sourceProblems: sourceProblems.length,
    ...timelineFields(timeline),
  };
  const unbound = facts.listeners.filter((l) => !l.bound);
  if (unbound.length > 0) {
    log.warn("configuration served, but some ports are not bound", {
      ...fields,
      unbound: unbound.map((l) => ({ port: l.port, error: l.error })),
    });
  } else if (result.problems.length + sourceProblems.length > 0) {
    log.warn("configuration served with problems", {
      ...fields,
      first: [...sourceProblems, ...result.problems].slice(0, 5),
    });
  } else {
    log.info("configuration served", fields);
  }
}
