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
  /** The statuses of the latest result, by object key. */
  readonly wanted = new Map<string, ObjectStatus>();
  /** Keys whose status is to be checked (and written if it differs). */
  readonly dirty = new Set<string>();
  /** The statuses of the latest result, by key (`wanted` also holds what was written for others). */
  #reported = new Map<string, ObjectStatus>();
  /** The trail version of the latest result, when it had one. */
  #version: object | undefined;

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
      if (this.#reported.get(key) === status) this.#reported.delete(key);
      if (this.wanted.get(key) !== status) continue;
      this.wanted.delete(key);
      this.dirty.delete(key);
      gone.push(status);
    }
    for (const status of added) {
      const key = this.keyOf(status);
      this.#reported.set(key, status);
      this.wanted.set(key, status);
      this.dirty.add(key);
    }
    return gone;
  }

  /** Wants `statuses` in place of the last result's: those not reported as these very objects are dirty. */
  #replaceAll(statuses: readonly ObjectStatus[]): ObjectStatus[] {
    const before = this.#reported;
    const reported = new Map<string, ObjectStatus>();
    for (const status of statuses) {
      const key = this.keyOf(status);
      reported.set(key, status);
      if (before.get(key) === status) continue;
      this.wanted.set(key, status);
      this.dirty.add(key);
    }
    const gone: ObjectStatus[] = [];
    for (const [key, status] of before) {
      if (reported.has(key) || this.wanted.get(key) !== status) continue;
      this.wanted.delete(key);
      this.dirty.delete(key);
      gone.push(status);
    }
    this.#reported = reported;
    return gone;
  }

  /**
   * `statusKey(status)`. Built each time, not kept by status object: a
   * result that says what changed costs a few keys per change, and a map by
   * status object held an entry for each of thousands of statuses (the keys
   * themselves are kept once, by the maps above).
   */
  keyOf(status: ObjectStatus): string {
    return statusKey(status);
  }
}
