/**
 * A translate result's `statuses`: the few statuses of classes, Gateways
 * and ListenerSets, then the route statuses, then those of TLSRoutes and
 * BackendTLSPolicies. With kept attachments (`route_attachments.ts`) the
 * route statuses are a version of a shared sorted list, and the whole list
 * is built only when read; the result's {@linkcode StatusTrail} says which
 * statuses changed since the result before, so the status writer reads
 * those alone (`status_changes.ts`).
 * @module
 */
import type { ObjectStatus, TranslateResult } from "../model/config.ts";
import { listChanges } from "../model/list_changes.ts";
import { netChanges, type StatusTrail, withStatusTrail } from "../model/status_changes.ts";
import type { ChunksVersion } from "../model/sorted_chunks.ts";

/** The route statuses of one translate, in the two groups `attach_routes.ts` lists. */
export interface RouteStatusVersions {
  /** Of routes that name no Gateway of ours. */
  unattached: ChunksVersion<ObjectStatus>;
  attached: ChunksVersion<ObjectStatus>;
}

/** What the statuses of one translate are made of. */
export interface StatusParts {
  /** GatewayClasses, Gateways, ListenerSets. */
  head: readonly ObjectStatus[];
  /** Route statuses: a plain list, or the kept attachments' versions. */
  routes: readonly ObjectStatus[] | RouteStatusVersions;
  /** TLSRoutes, BackendTLSPolicies. */
  tail: readonly ObjectStatus[];
  /**
   * The route statuses added and removed since the last translate with the
   * same kept attachments; `undefined` when they were all made afresh.
   */
  routeChanges?: RouteStatusChanges;
}

/** The route statuses one update of the kept attachments added and removed. */
export interface RouteStatusChanges {
  /** Counts the updates: changes follow on from the last result only when it was the one before. */
  turn: number;
  added: readonly ObjectStatus[];
  removed: readonly ObjectStatus[];
}

/** What the memo keeps of the last result's statuses, to tell the next one what changed. */
export interface KeptStatuses {
  version: object;
  /** `RouteStatusChanges.turn` of its route statuses, if they were kept. */
  turn?: number;
  head: readonly ObjectStatus[];
  tail: readonly ObjectStatus[];
}

/**
 * The result `fields` with a `statuses` getter over `parts` (the list built
 * once, on first read) and its trail; `kept` (the memo's) is updated.
 */
export function withStatuses(
  fields: Omit<TranslateResult, "statuses">,
  parts: StatusParts,
  kept?: { statuses?: KeptStatuses },
): TranslateResult {
  let list: ObjectStatus[] | undefined;
  const result = {
    ...fields,
    get statuses(): ObjectStatus[] {
      return list ??= [...parts.head, ...routeList(parts.routes), ...parts.tail];
    },
  };
  if (kept === undefined) return Object.freeze(result);
  const version = {};
  const trail: StatusTrail = { version };
  const last = kept.statuses;
  const turn = parts.routeChanges?.turn;
  if (last?.turn !== undefined && turn === last.turn + 1) {
    const head = listChanges(last.head, parts.head);
    const tail = listChanges(last.tail, parts.tail);
    const routes = parts.routeChanges!;
    trail.changes = {
      since: last.version,
      ...netChanges(
        [...head.added, ...routes.added, ...tail.added],
        [...head.removed, ...routes.removed, ...tail.removed],
      ),
    };
  }
  kept.statuses = { version, turn, head: parts.head, tail: parts.tail };
  return Object.freeze(withStatusTrail(result, trail));
}

function routeList(routes: StatusParts["routes"]): readonly ObjectStatus[] {
  if (Array.isArray(routes)) return routes;
  const versions = routes as RouteStatusVersions;
  return [...versions.unattached.toArray(), ...versions.attached.toArray()];
}
