/**
 * The statuses the status writer wants written, by object key, and the keys
 * still to check. A translate result that says which statuses changed since
 * the one before (`status_changes.ts`) is read for those alone; any other
 * result's list is compared whole, by identity: translate hands back the
 * very same object for a status it did not recompute.
 *
 * @example
 * ```ts
 * import { WantedStatuses } from "./wanted_statuses.ts";
 * import { ruleMapOf } from "../model/rule_map.ts";
 * const wants = new WantedStatuses();
 * const status = { kind: "GatewayClass" as const, name: "serval", generation: 1, status: {} };
 * wants.take({ config: { ports: [], rules: ruleMapOf() }, certificates: [], statuses: [status], problems: [] });
 * [...wants.dirty]; // ["GatewayClass//serval"]
 * ```
 * @module
 */
import type { ObjectStatus, TranslateResult } from "../model/config.ts";
import { statusTrail } from "../model/status_changes.ts";

/** `kind/namespace/name` of an object or its status. */
export const statusKey = (s: { kind: string; namespace?: string; name: string }): string =>
  `${s.kind}/${s.namespace ?? ""}/${s.name}`;

/** See the module doc. */
export class WantedStatuses {
  /**
   * The statuses of the latest result, by object key, and what is written
   * for objects it no longer reports on (see {@linkcode wantOther}).
   */
  readonly #wanted = new Map<string, ObjectStatus>();
  /** Keys whose status is to be checked (and written if it differs). */
  readonly dirty = new Set<string>();
  /**
   * The keys of `#wanted` that are not the latest result's (a few releases).
   * The result's own are the rest: a second map of every key beside
   * `#wanted` would hold a hash table for each of thousands of statuses.
   */
  readonly #others = new Set<string>();
  /** The trail version of the latest result, when it had one. */
  #version: object | undefined;

  /** What is wanted for the object `key`, if anything. */
  get(key: string): ObjectStatus | undefined {
    return this.#wanted.get(key);
  }

  /** Whether anything is wanted for the object `key`. */
  has(key: string): boolean {
    return this.#wanted.has(key);
  }

  /** Every key something is wanted for. */
  keys(): MapIterator<string> {
    return this.#wanted.keys();
  }

  /** How many keys something is wanted for. */
  get size(): number {
    return this.#wanted.size;
  }

  /**
   * Wants `status` for the object `key`, which the latest result does not
   * report on (a release); it is dirty. A result reporting on it again replaces it.
   */
  wantOther(key: string, status: ObjectStatus): void {
    this.#wanted.set(key, status);
    this.#others.add(key);
    this.dirty.add(key);
  }

  /** Wants nothing more for the object `key` (a release, once written). */
  forgetOther(key: string): void {
    if (!this.#others.delete(key)) return;
    this.#wanted.delete(key);
  }

  /**
   * Wants the statuses of `result`; those new or changed are dirty. Returns
   * the statuses wanted before whose objects the result no longer reports on.
   */
  take(result: TranslateResult): ObjectStatus[] {
    // At thousands of routes, even walking every status per change was most
    // of the status work: a result that says what changed is read for that.
    const trail = statusTrail(result);
    const changes = trail?.changes;
    const gone = changes !== undefined && this.#version !== undefined &&
        changes.since === this.#version
      ? this.#apply(changes.added, changes.removed)
      : this.#replaceAll(result.statuses);
    this.#version = trail?.version;
    return gone;
  }

  #apply(added: readonly ObjectStatus[], removed: readonly ObjectStatus[]): ObjectStatus[] {
    const gone: ObjectStatus[] = [];
    for (const status of removed) {
      const key = this.keyOf(status);
      if (this.#others.has(key) || this.#wanted.get(key) !== status) continue;
      this.#wanted.delete(key);
      this.dirty.delete(key);
      gone.push(status);
    }
    for (const status of added) this.#want(this.keyOf(status), status);
    return gone;
  }

  /** Wants `statuses` in place of the last result's: those not reported as these very objects are dirty. */
  #replaceAll(statuses: readonly ObjectStatus[]): ObjectStatus[] {
    // The result's keys are the wanted ones but the others': those not in
    // `statuses` are gone. The set is dropped at once (a result without a
    // trail is the first, or one after a full rebuild).
    // The first: nothing is wanted yet, so every status is new and none is
    // gone. At thousands of routes this pass runs on code not yet optimized,
    // in one turn of the thread that serves requests: the set of keys and the
    // walk for gone ones were a third of it.
    if (this.#wanted.size === 0) {
      for (const status of statuses) this.#want(this.keyOf(status), status);
      return [];
    }
    const reported = new Set<string>();
    for (const status of statuses) {
      const key = this.keyOf(status);
      reported.add(key);
      if (this.#wanted.get(key) === status && !this.#others.has(key)) continue;
      this.#want(key, status);
    }
    const gone: ObjectStatus[] = [];
    for (const [key, status] of this.#wanted) {
      if (reported.has(key) || this.#others.has(key)) continue;
      this.#wanted.delete(key);
      this.dirty.delete(key);
      gone.push(status);
    }
    return gone;
  }

  /** Wants `status` of the latest result for `key`. */
  #want(key: string, status: ObjectStatus): void {
    this.#wanted.set(key, status);
    this.#others.delete(key);
    this.dirty.add(key);
  }

  /**
   * `statusKey(status)`. Built each time, not kept by status object: a
   * result that says what changed costs a few keys per change, and a map by
   * status object held an entry for each of thousands of statuses (the keys
   * themselves are kept once, by the map above).
   */
  keyOf(status: ObjectStatus): string {
    return statusKey(status);
  }
}
