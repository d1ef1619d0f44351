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

export type { RuleMap } from "./config.ts";

const GONE: unique symbol = Symbol("gone");
type Layer = Map<string, RuleConfig | typeof GONE>;

/** Fewest changes a version carries before folding them into a new base. */
const MIN_LAYER = 16;

/** One immutable version: a shared base and this version's own changes. */
class LayeredRuleMap implements RuleMap {
  readonly #base: ReadonlyMap<string, RuleConfig>;
  readonly #layer: Layer;
  readonly #size: number;

  constructor(base: ReadonlyMap<string, RuleConfig>, layer: Layer, size: number) {
    this.#base = base;
    this.#layer = layer;
    this.#size = size;
    // Deep equality (tests) sees the contents through this; the entries
    // themselves are private and would all look alike.
    Object.defineProperty(this, "contents", { enumerable: true, get: () => this.toJSON() });
    Object.freeze(this);
  }

  get size(): number {
    return this.#size;
  }

  get(key: string): RuleConfig | undefined {
    const value = this.#layer.get(key);
    if (value !== undefined) return value === GONE ? undefined : value;
    return this.#base.get(key);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  *entries(): MapIterator<[string, RuleConfig]> {
    const layer = this.#layer;
    for (const entry of this.#base) if (!layer.has(entry[0])) yield entry;
    for (const [key, value] of layer) if (value !== GONE) yield [key, value];
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

  /** The base and changes, for a builder to go on from. */
  parts(): [ReadonlyMap<string, RuleConfig>, Layer] {
    return [this.#base, this.#layer];
  }
}

/**
 * The versions of one changing set of rules: `set`/`delete` change the next
 * version, `snapshot` hands it out (the same object until the next change).
 */
export class RuleMapBuilder {
  #base: ReadonlyMap<string, RuleConfig> = new Map();
  #layer: Layer = new Map();
  #size = 0;
  #snapshot: LayeredRuleMap | undefined;

  /** The number of rules in the next version. */
  get size(): number {
    return this.#size;
  }

  /** The rule under `key` in the next version. */
  get(key: string): RuleConfig | undefined {
    const value = this.#layer.get(key);
    if (value !== undefined) return value === GONE ? undefined : value;
    return this.#base.get(key);
  }

  /** Sets `key` in the next version (versions handed out keep theirs). */
  set(key: string, value: RuleConfig): void {
    const old = this.get(key);
    if (old === value) return;
    if (old === undefined) this.#size++;
    this.#writable().set(key, value);
  }

  /** Deletes `key` from the next version. */
  delete(key: string): void {
    if (this.get(key) === undefined) return;
    this.#size--;
    if (this.#base.has(key)) this.#writable().set(key, GONE);
    else this.#writable().delete(key);
  }

  /** The current version, read-only and frozen. */
  snapshot(): RuleMap {
    if (this.#snapshot !== undefined) return this.#snapshot;
    const layer = this.#layer;
    if (layer.size > MIN_LAYER && layer.size * layer.size > this.#base.size) {
      const folded = new Map<string, RuleConfig>();
      for (const [key, value] of this.#base) if (!layer.has(key)) folded.set(key, value);
      for (const [key, value] of layer) if (value !== GONE) folded.set(key, value);
      this.#base = folded;
      this.#layer = new Map();
    }
    return this.#snapshot = new LayeredRuleMap(this.#base, this.#layer, this.#size);
  }

  /** The layer to change: a copy when the current one was handed out. */
  #writable(): Layer {
    if (this.#snapshot !== undefined) {
      this.#layer = new Map(this.#layer);
      this.#snapshot = undefined;
    }
    return this.#layer;
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
