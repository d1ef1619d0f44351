/**
 * The statuses the status writer wrote that the store does not show yet.
 * The watch delivers our own write some time after its answer (or, now and
 * then, before it); until then the store's version is older than ours, and
 * a status compared with it would be written twice. Each entry is dropped
 * as soon as the store shows that write: at thousands of routes, a status
 * copy each for the process's life was most of the heap's growth.
 *
 * @example
 * ```ts
 * import { WrittenStatuses } from "./written_statuses.ts";
 * const written = new WrittenStatuses();
 * const stored = { metadata: { resourceVersion: "1" }, status: {} };
 * written.remember("Gateway/default/gw", stored, { metadata: { resourceVersion: "2" }, status: { a: 1 } }, "1");
 * written.baseFor("Gateway/default/gw", stored).status; // { a: 1 }: ours, not the store's
 * written.echoed("Gateway/default/gw", "2"); // true: the store shows it now, and it is forgotten
 * ```
 * @module
 */
type Json = Record<string, unknown>;

/** See the module doc. */
export class WrittenStatuses {
  /** By object key: the version we wrote over, and what we wrote (version and status only). */
  readonly #written = new Map<string, { fromVersion: string; object: Json }>();

  /** How many writes the store does not show yet. */
  get size(): number {
    return this.#written.size;
  }

  /**
   * Whether the store now shows our write of `key` (its `resourceVersion`
   * is `version`); if so, it is forgotten.
   */
  echoed(key: string, version: unknown): boolean {
    const mine = this.#written.get(key)?.object.metadata as Json | undefined;
    if (mine === undefined || mine.resourceVersion !== version) return false;
    this.#written.delete(key);
    return true;
  }

  /**
   * What a write of `key` goes over: ours while the store still holds the
   * version we wrote over, else the store's object (and ours is forgotten).
   */
  baseFor(key: string, stored: Json): Json {
    const mine = this.#written.get(key);
    if (mine && mine.fromVersion === (stored.metadata as Json).resourceVersion) return mine.object;
    this.#written.delete(key);
    return stored;
  }

  /**
   * Notes `updated` (the API's answer) as written over `stored`, unless the
   * store already shows it: the watch can deliver our write before its
   * answer, and no later event would make us forget it then.
   */
  remember(key: string, stored: Json, updated: Json, storeVersion: unknown): void {
    const version = (updated.metadata as Json | undefined)?.resourceVersion;
    if (version !== undefined && storeVersion === version) return;
    // Only what the next write reads: not the whole object and its managed fields.
    const object = { metadata: { resourceVersion: version }, status: updated.status };
    this.#written.set(key, {
      fromVersion: String((stored.metadata as Json).resourceVersion),
      object,
    });
  }

  /** Forgets what we wrote on `key`. */
  forget(key: string): void {
    this.#written.delete(key);
  }
}
