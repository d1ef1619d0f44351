/**
 * Turns one rebuild attempt (as the runtime's reconciler reports it) into the
 * numbers `GatewayMetrics.recordRebuild` takes, so the counting rules (what a
 * route, an endpoint and a listener are) live next to the metrics.
 *
 * @example
 * ```ts
 * import { createMetrics } from "./metrics.ts";
 * import { rebuildRecordOf } from "./rebuild_record.ts";
 * const metrics = createMetrics();
 * metrics.recordRebuild(rebuildRecordOf({ ok: false, sourceProblems: 2 }));
 * ```
 * @module
 */
import type { TranslateResult } from "../model/config.ts";
import type { RebuildRecord } from "./rebuild_metrics.ts";

/** One rebuild attempt; the runtime's `RebuildAttempt` has this shape. */
export interface RebuildAttemptLike {
  /** A table was swapped in. */
  ok: boolean;
  translateSeconds?: number;
  /** The result now served (when `ok`). */
  result?: TranslateResult;
  /** Problems the source reported at this attempt. */
  sourceProblems: number;
}

/**
 * Counts of `result`: rules (`routes`), distinct ready `address:port` pairs
 * (`endpoints`), Gateway listeners merged into the served ports (`listeners`),
 * translate plus source problems, and the rule and backend ids that bound the
 * metric labels.
 */
export function rebuildRecordOf(attempt: RebuildAttemptLike): RebuildRecord {
  const result = attempt.result;
  const translateProblems = result?.problems.length ?? 0;
  const record: RebuildRecord = {
    ok: attempt.ok,
    translateSeconds: attempt.translateSeconds,
    routes: 0,
    endpoints: 0,
    listeners: 0,
    problems: translateProblems + attempt.sourceProblems,
  };
  if (!result) return record;

  const { config } = result;
  const ruleIds = Object.keys(config.rules);
  const backendIds = new Set<string>();
  const endpoints = new Set<string>();
  for (const rule of Object.values(config.rules)) {
    for (const backend of rule.backends) {
      backendIds.add(backend.id);
      for (const e of backend.endpoints) endpoints.add(`${e.address}:${e.port}`);
    }
    // Mirror errors are counted under the mirror's backend id.
    for (const filter of rule.filters) {
      if (filter.type === "RequestMirror") backendIds.add(filter.backend.id);
    }
  }
  let listeners = 0;
  const listenerIds: string[] = [];
  for (const port of config.ports) {
    for (const listener of port.listeners) {
      listeners += listener.ids.length;
      listenerIds.push(listener.id);
    }
  }
  record.routes = ruleIds.length;
  record.endpoints = endpoints.size;
  record.listeners = listeners;
  record.ruleIds = ruleIds;
  record.listenerIds = listenerIds;
  record.backendIds = backendIds;
  return record;
}
