/**
 * One instance of each equal value a translate keeps, so thousands of routes
 * that end up with the same status entry (the same parent, accepted, every
 * reference resolved, at the same generation) share one object instead of
 * holding a copy each. Kept values must never be changed (the result is
 * frozen). Bounded: past `limit` distinct values it starts again, which only
 * costs sharing, never a wrong value.
 * @module
 */

/**
 * Equal values by a key that names all they hold.
 *
 * @example
 * ```ts
 * import { InternPool } from "./intern_pool.ts";
 * const pool = new InternPool();
 * const a = pool.intern("ok|1", { ok: true, generation: 1 });
 * const b = pool.intern("ok|1", { ok: true, generation: 1 });
 * a === b; // true
 * ```
 */
export class InternPool {
  #values = new Map<string, unknown>();
  readonly #limit: number;

  constructor(limit = 1024) {
    this.#limit = limit;
  }

  /** The value kept under `key`, or `value`, kept from now on. */
  intern<T>(key: string, value: T): T {
    const known = this.#values.get(key);
    if (known !== undefined) return known as T;
    if (this.#values.size >= this.#limit) this.#values.clear();
    this.#values.set(key, value);
    return value;
  }

  /** How many values are kept. */
  get size(): number {
    return this.#values.size;
  }

  clear(): void {
    this.#values.clear();
  }
}
