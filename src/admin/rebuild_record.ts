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
import type { GatewayConfig, RuleConfig, TranslateResult } from "../model/config.ts";
import type { IdSet, RebuildRecord } from "./rebuild_metrics.ts";
import type { RuleMap } from "../model/rule_map.ts";

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
 * translate plus source problems, and the rule, listener and backend ids
 * that bound the metric labels. Everything that walks the table is computed
 * on first read (a scrape, or pruning label sets), once per result: at
 * thousands of rules, counting them per change was most of a rebuild's
 * bookkeeping, and a burst of changes is usually scraped once.
 */
export function rebuildRecordOf(attempt: RebuildAttemptLike): RebuildRecord {
  const result = attempt.result;
  const problems = (result?.problems.length ?? 0) + attempt.sourceProblems;
  if (!result) {
    return {
      ok: attempt.ok,
      translateSeconds: attempt.translateSeconds,
      routes: 0,
      endpoints: 0,
      listeners: 0,
      problems,
    };
  }
  return new ResultRecord(attempt.ok, attempt.translateSeconds, problems, result);
}

/** A record whose counts and ids are read from its result on demand. */
class ResultRecord implements RebuildRecord {
  readonly ok: boolean;
  readonly translateSeconds: number | undefined;
  readonly problems: number;
  readonly ruleIds: IdSet;
  readonly backendIds: IdSet;
  readonly #config: GatewayConfig;
  #counts: { routes: number; endpoints: number; listeners: number } | undefined;
  #listenerIds: string[] | undefined;

  constructor(
    ok: boolean,
    translateSeconds: number | undefined,
    problems: number,
    result: TranslateResult,
  ) {
    this.ok = ok;
    this.translateSeconds = translateSeconds;
    this.problems = problems;
    this.#config = result.config;
    this.ruleIds = new KeysOf(result.config.rules);
    this.backendIds = new LazyIds(() => backendIdsOf(this.#config.rules.values()));
  }

  get routes(): number {
    return this.#count().routes;
  }

  get endpoints(): number {
    return this.#count().endpoints;
  }

  get listeners(): number {
    return this.#count().listeners;
  }

  get listenerIds(): Iterable<string> {
    return this.#listenerIds ??= this.#config.ports.flatMap((p) => p.listeners.map((l) => l.id));
  }

  #count(): { routes: number; endpoints: number; listeners: number } {
    if (this.#counts !== undefined) return this.#counts;
    const rules = this.#config.rules;
    const endpoints = new Set<string>();
    // Rules of one Service port share its endpoint list: each list counts once.
    const lists = new Set<RuleConfig["backends"][number]["endpoints"]>();
    for (const rule of rules.values()) {
      for (const backend of rule.backends) {
        if (lists.has(backend.endpoints)) continue;
        lists.add(backend.endpoints);
        for (const e of backend.endpoints) endpoints.add(`${e.address}:${e.port}`);
      }
    }
    let listeners = 0;
    for (const port of this.#config.ports) {
      for (const listener of port.listeners) listeners += listener.ids.length;
    }
    return this.#counts = { routes: rules.size, endpoints: endpoints.size, listeners };
  }
}
function backendIdsOf(rules: Iterable<RuleConfig>): Set<string> {
  const ids = new Set<string>();
  for (const rule of rules) {
    for (const backend of rule.backends) ids.add(backend.id);
    // Mirror errors are counted under the mirror's backend id.
    for (const filter of rule.filters) {
      if (filter.type === "RequestMirror") ids.add(filter.backend.id);
    }
  }
  return ids;
}

/** The keys of a rule map, as an id set that is never copied. */
class KeysOf implements IdSet {
  readonly #rules: RuleMap;
  constructor(rules: RuleMap) {
    this.#rules = rules;
  }
  has(id: string): boolean {
    return this.#rules.has(id);
  }
  [Symbol.iterator](): Iterator<string> {
    return this.#rules.keys();
  }
}

/** An id set built on first use. */
class LazyIds implements IdSet {
  readonly #build: () => Set<string>;
  #ids: Set<string> | undefined;
  constructor(build: () => Set<string>) {
    this.#build = build;
  }
  has(id: string): boolean {
    return (this.#ids ??= this.#build()).has(id);
  }
  [Symbol.iterator](): Iterator<string> {
    return (this.#ids ??= this.#build())[Symbol.iterator]();
  }
}
