/**
 * {@linkcode GatewayConfig.rules} as a read-only map whose versions share
 * their entries: a base `Map` no version changes, under a small map of the
 * entries set or deleted since. A change of one route then costs the rules
 * it touched (and a copy of the recent changes), not a fresh object of
 * every rule; once the changes pass about the square root of the base's
 * size they fold into a new base, so the whole copy comes once every few
 * dozen changes at thousands of rules.
 *
 * @example
 * ```ts
 * import { RuleMapBuilder } from "./rule_map.ts";
 * const builder = new RuleMapBuilder();
 * builder.set("r", { id: "r", filters: [], backends: [], invalidWeight: 0 });
 * const first = builder.snapshot();
 * builder.delete("r");
 * [first.has("r"), builder.snapshot().has("r")]; // [true, false]
 * ```
 * @module
 */
import type { RuleConfig, RuleMap } from "./config.ts";
import { LayeredMap } from "./layered_map.ts";

export type { RuleMap } from "./config.ts";

/** One immutable version: a {@linkcode LayeredMap} nothing writes to again. */
class LayeredRuleMap implements RuleMap {
  readonly #map: LayeredMap<string, RuleConfig>;

  constructor(map: LayeredMap<string, RuleConfig>) {
    this.#map = map;
    // Deep equality (tests) sees the contents through this; the entries
    // themselves are private and would all look alike.
    Object.defineProperty(this, "contents", { enumerable: true, get: () => this.toJSON() });
    Object.freeze(this);
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: string): RuleConfig | undefined {
    return this.#map.get(key);
  }

  has(key: string): boolean {
    return this.#map.has(key);
  }

  entries(): MapIterator<[string, RuleConfig]> {
    return this.#map.entries();
  }

  *keys(): MapIterator<string> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): MapIterator<RuleConfig> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): MapIterator<[string, RuleConfig]> {
    return this.entries();
  }

  forEach(
    fn: (value: RuleConfig, key: string, map: ReadonlyMap<string, RuleConfig>) => void,
  ): void {
    for (const [key, value] of this.entries()) fn(value, key, this);
  }

  toJSON(): Record<string, RuleConfig> {
    const out: Record<string, RuleConfig> = {};
    for (const key of [...this.keys()].sort(compareIds)) out[key] = this.get(key)!;
    return out;
  }
}

/**
 * The versions of one changing set of rules: `set`/`delete` change the next
 * version, `snapshot` hands it out (the same object until the next change).
 * A handed-out version is never written again: the next change forks it
 * first (folding the changes into a new base once they are many).
 */
export class RuleMapBuilder {
  #next = new LayeredMap<string, RuleConfig>();
  #snapshot: LayeredRuleMap | undefined;

  /** The number of rules in the next version. */
  get size(): number {
    return this.#next.size;
  }

  /** The rule under `key` in the next version. */
  get(key: string): RuleConfig | undefined {
    return this.#next.get(key);
  }

  /** Sets `key` in the next version (versions handed out keep theirs). */
  set(key: string, value: RuleConfig): void {
    if (this.#next.get(key) === value) return;
    this.#writable().set(key, value);
  }

  /** Deletes `key` from the next version. */
  delete(key: string): void {
    if (!this.#next.has(key)) return;
    this.#writable().delete(key);
  }

  /** The current version, read-only and frozen. */
  snapshot(): RuleMap {
    return this.#snapshot ??= new LayeredRuleMap(this.#next);
  }

  /** The map to change: a fork when the current one was handed out. */
  #writable(): LayeredMap<string, RuleConfig> {
    if (this.#snapshot !== undefined) {
      this.#next = this.#next.fork();
      this.#snapshot = undefined;
    }
    return this.#next;
  }
}

/** A rule map of `rules` (a record, or entries): for tests, tools and one-off builds. */
export function ruleMapOf(
  rules: Readonly<Record<string, RuleConfig>> | Iterable<readonly [string, RuleConfig]> = [],
): RuleMap {
  const builder = new RuleMapBuilder();
  const entries = Symbol.iterator in rules
    ? rules as Iterable<readonly [string, RuleConfig]>
    : Object.entries(rules as Record<string, RuleConfig>);
  for (const [key, value] of entries) builder.set(key, value);
  return builder.snapshot();
}

/** Sorts ids as translate always has (code unit order). */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
