/**
 * Which statuses of a `TranslateResult` changed since the result before it,
 * so the status writer costs what changed: a translate with a memo knows
 * which route statuses it replaced, and its `statuses` list (thousands of
 * routes) is built only when someone reads it. Each result carries a
 * {@linkcode StatusTrail}: a token of its own and, when known, the statuses
 * added and removed since the result holding the token `since`. The trail
 * is a non-enumerable property: `{ ...result, statuses }` (another list)
 * drops it, and deep equality does not see it.
 *
 * @example
 * ```ts
 * import { statusTrail, withStatusTrail } from "./status_changes.ts";
 * import { ruleMapOf } from "./rule_map.ts";
 * const first = withStatusTrail(
 *   { config: { ports: [], rules: ruleMapOf() }, certificates: [], statuses: [], problems: [] },
 *   { version: {} },
 * );
 * statusTrail(first)?.changes; // undefined: a reader compares the whole list
 * ```
 * @module
 */
import type { ObjectStatus, TranslateResult } from "./config.ts";

/** The statuses added and removed since the result whose trail's `version` is `since`. */
export interface StatusChanges {
  since: object;
  added: readonly ObjectStatus[];
  removed: readonly ObjectStatus[];
}

/** A result's token, and its changes since an earlier result when known. */
export interface StatusTrail {
  version: object;
  changes?: StatusChanges;
}

const TRAIL: unique symbol = Symbol("statusTrail");

/** `result` (not yet frozen) with `trail` set on it; returns `result`. */
export function withStatusTrail<T extends TranslateResult>(result: T, trail: StatusTrail): T {
  Object.defineProperty(result, TRAIL, { value: trail, enumerable: false });
  return result;
}

/** The trail of `result`, if it has one. */
export function statusTrail(result: TranslateResult): StatusTrail | undefined {
  return (result as { [TRAIL]?: StatusTrail })[TRAIL];
}

/**
 * Route statuses in the order translate lists them: HTTPRoutes before
 * GRPCRoutes, then by namespace and name.
 */
export function compareStatuses(a: ObjectStatus, b: ObjectStatus): number {
  if (a.kind !== b.kind) return a.kind === "GRPCRoute" ? 1 : b.kind === "GRPCRoute" ? -1 : 0;
  const namespaceA = a.namespace ?? "";
  const namespaceB = b.namespace ?? "";
  if (namespaceA !== namespaceB) return namespaceA < namespaceB ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * `added` and `removed` without the statuses in both (the same object
 * removed and added again did not change).
 */
export function netChanges(
  added: readonly ObjectStatus[],
  removed: readonly ObjectStatus[],
): { added: ObjectStatus[]; removed: ObjectStatus[] } {
  if (added.length === 0 || removed.length === 0) {
    return { added: [...added], removed: [...removed] };
  }
  const gone = new Set(removed);
  const kept = added.filter((status) => !gone.delete(status));
  return { added: kept, removed: removed.filter((status) => gone.has(status)) };
}
