/**
 * A map whose copies share most of their entries: a base `Map` that no copy
 * changes, under a small map of the entries set or deleted since. A copy
 * costs the changes made since the base, not the whole map; once those pass
 * about the square root of the base's size, the copy folds them into a new
 * base of its own (a large base is copied a part per fork, a square root
 * of entries each, from that point on, so no one change pays for a copy of
 * the whole map). A copy whose changes hide over half its base folds
 * at once, so a base does not keep what a change replaced wholesale. At thousands of virtual hosts (the router's host index) or
 * rules (`GatewayConfig.rules`, see `rule_map.ts`) a change then copies a few
 * dozen entries instead of every one, and a full copy comes once
 * every two square roots of changes (about 140 at 5,000 entries).
 *
 * @example
 * ```ts
 * import { LayeredMap } from "./layered_map.ts";
 * const a = new LayeredMap<string, number>();
 * a.set("x", 1);
 * const b = a.fork();
 * b.delete("x");
 * [a.get("x"), b.get("x")]; // [1, undefined]
 * ```
 * @module
 */

const GONE: unique symbol = Symbol("gone");

/** Fewest changes a copy carries before folding them into a new base. */
const MIN_LAYER = 16;

/** A base at least this large is copied a part per fork, not all at once. */
const GRADUAL = 1_024;

/** A new base in the making: the entries of the base copied so far, and where the copy stands. */
interface NextBase<K, V> {
  map: Map<K, V>;
  rest: Iterator<[K, V]>;
}

/** A map with cheap copies (`fork`); values must not be `undefined`. */
export class LayeredMap<K, V> {
  #base: Map<K, V>;
  /** Set and deleted entries since the base; `undefined` when there are none. */
  #layer: Map<K, V | typeof GONE> | undefined;
  #size: number;
  /** Handed on to the next fork (see `fork`). */
  #next: NextBase<K, V> | undefined;
  /** How many entries of the base the layer hides (set again or deleted). */
  #shadowed: number;

  constructor(
    base: Map<K, V> = new Map(),
    layer?: Map<K, V | typeof GONE>,
    size = base.size,
    next?: NextBase<K, V>,
    shadowed = 0,
  ) {
    this.#base = base;
    this.#layer = layer;
    this.#size = size;
    this.#next = next;
    this.#shadowed = shadowed;
  }

  /** How many entries. */
  get size(): number {
    return this.#size;
  }

  /** How many entries of the base this copy hides, set again or deleted (for tests and dumps). */
  get hidden(): number {
    return this.#shadowed;
  }

  /** The value under `key`, if any. */
  get(key: K): V | undefined {
    const layer = this.#layer;
    if (layer !== undefined) {
      const value = layer.get(key);
      if (value !== undefined) return value === GONE ? undefined : value;
    }
    return this.#base.get(key);
  }

  /** Whether `key` has a value. */
  has(key: K): boolean {
    return this.get(key) !== undefined;
  }

  /** Sets `key` (this copy only). */
  set(key: K, value: V): void {
    if (!this.has(key)) this.#size++;
    this.#hide(key);
    this.#changes().set(key, value);
    this.#foldIfShadowing();
  }

  /** Deletes `key` (this copy only). */
  delete(key: K): void {
    if (!this.has(key)) return;
    this.#size--;
    if (this.#base.has(key)) {
      this.#hide(key);
      this.#changes().set(key, GONE);
      this.#foldIfShadowing();
    } else this.#layer?.delete(key);
  }

  /** Counts `key` as hidden by the layer if the base has it and the layer did not yet. */
  #hide(key: K): void {
    if (this.#layer?.has(key) !== true && this.#base.has(key)) this.#shadowed++;
  }

  /**
   * Folds the layer into a new base of this copy's own once it hides over
   * half the base (a change that replaced most entries: every route attached
   * again). The shared base would otherwise keep every entry it hides
   * (thousands of compiled virtual hosts) until the dozens of forks a gradual
   * copy takes, or for good when no change follows. A fold copies at most
   * three times the entries hidden since the last; the base others share is
   * never written.
   */
  #foldIfShadowing(): void {
    const shadowed = this.#shadowed;
    if (shadowed <= MIN_LAYER || shadowed * 2 <= this.#base.size) return;
    this.#base = this.#folded();
    this.#layer = undefined;
    this.#next = undefined;
    this.#shadowed = 0;
  }

  /**
   * A copy to change while this one stays as it is. Both keep sharing the
   * base, so neither may change it: changes go to each one's own layer.
   */
  fork(): LayeredMap<K, V> {
    const layer = this.#layer;
    const base = this.#base;
    // Handed on, not shared: a second fork of this copy starts its own.
    const next = this.#next;
    this.#next = undefined;
    const shadowed = this.#shadowed;
    if (layer === undefined) return new LayeredMap(base, undefined, this.#size, next);
    if (base.size < GRADUAL) {
      if (layer.size * layer.size > base.size && layer.size > MIN_LAYER) {
        return new LayeredMap(this.#folded());
      }
      return new LayeredMap(base, new Map(layer), this.#size, undefined, shadowed);
    }
    // A large base is copied over several forks, from when the layer passes
    // the square root of its size, a square root of entries a fork, so no one
    // change pays for a copy of the whole map. Each copy leaves the base before
    // it (a hash table of 224 KiB at 5,000 entries, in V8's large-object space)
    // as garbage until a full collection: starting later and copying fewer
    // entries a fork makes one every two square roots of changes instead of
    // one, for about as many entries copied a fork (the layer's, then the base's).
    if (
      next === undefined && (layer.size * layer.size <= base.size || layer.size <= MIN_LAYER)
    ) {
      return new LayeredMap(base, new Map(layer), this.#size, undefined, shadowed);
    }
    const making = next ?? { map: new Map<K, V>(), rest: base.entries() };
    for (let n = Math.ceil(Math.sqrt(base.size)); n > 0; n--) {
      const entry = making.rest.next();
      if (entry.done) return new LayeredMap(withChanges(making.map, layer));
      making.map.set(entry.value[0], entry.value[1]);
    }
    return new LayeredMap(base, new Map(layer), this.#size, making, shadowed);
  }

  /** Every entry (for tests and dumps; the order is not insertion order). */
  *entries(): MapIterator<[K, V]> {
    const layer = this.#layer;
    for (const [key, value] of this.#base) if (!layer?.has(key)) yield [key, value];
    if (layer === undefined) return;
    for (const [key, value] of layer) if (value !== GONE) yield [key, value];
  }

  /** The layer's changes, made on first write: a fresh copy shares nothing it would write. */
  #changes(): Map<K, V | typeof GONE> {
    return this.#layer ??= new Map();
  }

  #folded(): Map<K, V> {
    return new Map(this.entries());
  }
}

/** `map` (a whole copy of the base) with `layer`'s changes made to it. */
function withChanges<K, V>(map: Map<K, V>, layer: Map<K, V | typeof GONE>): Map<K, V> {
  for (const [key, value] of layer) {
    if (value === GONE) map.delete(key);
    else map.set(key, value);
  }
  return map;
}
