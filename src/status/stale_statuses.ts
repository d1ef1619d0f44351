/**
 * Statuses an earlier process left on Gateways and ListenerSets that stopped
 * being ours while no gateway ran: a Gateway whose class was deleted, a
 * ListenerSet whose Gateway (or that Gateway's class) was deleted. A running
 * writer takes these back as it sees each object leave the result
 * (`status_release.ts`); a new process never saw them there, so on its first
 * result as leader it looks through the store.
 *
 * Routes and policies need no search: their entries name the controller that
 * wrote them, so `translate` reports every route still carrying an entry of
 * ours, with only the parents still ours, and the writer drops the rest as
 * the spec asks ("cleaned up when they are no longer necessary",
 * `RouteParentStatus.controllerName`), keeping other controllers' entries.
 * A Gateway's or ListenerSet's status names no controller: it is reset only
 * when no controller can own it (its class, or its Gateway, does not exist),
 * never while another controller's class holds it: that status is theirs to
 * write, and nothing in it tells ours from theirs.
 *
 * @example
 * ```ts
 * import { staleStatuses } from "./stale_statuses.ts";
 * import { createStore } from "../source/store.ts";
 * const stale = staleStatuses(createStore(), () => false);
 * stale.length; // 0: an empty store holds nothing
 * ```
 * @module
 */
import type { ObjectStatus } from "../model/config.ts";
import type { Condition } from "../resources/object_meta.ts";
import type { GatewayResource } from "../resources/types.ts";
import type { Store } from "../source/store.ts";
import { ownerOfObject } from "./status_owner.ts";
import { statusKey } from "./wanted_statuses.ts";

type Json = Record<string, unknown>;

/**
 * The Gateways and ListenerSets in `store` no controller can own that carry
 * a controller's status and that the latest result does not report on
 * (`reported(key)` false), each with its current generation and status:
 * what `StatusReleases.releaseOf` takes back. Nothing without the store's `list`.
 */
export function staleStatuses(
  store: Pick<Store, "get"> & Partial<Pick<Store, "list">>,
  reported: (key: string) => boolean,
): ObjectStatus[] {
  const stale: ObjectStatus[] = [];
  if (store.list === undefined) return stale;
  const objects = store.list.bind(store);
  const add = (object: GatewayResource) => {
    const { namespace, name, generation } = object.metadata;
    const kind = object.kind as ObjectStatus["kind"];
    if (reported(statusKey({ kind, namespace, name }))) return;
    const status = ((object as { status?: unknown }).status ?? {}) as ObjectStatus["status"];
    stale.push({ kind, namespace, name, generation: generation ?? 0, status });
  };
  // Nobody owns it when its class (or its Gateway, or that one's class) is gone.
  for (const kind of ["Gateway", "ListenerSet"] as const) {
    for (const object of objects(kind)) {
      if (object.kind !== kind || !hasControllerStatus(object.status)) continue;
      if (ownerOfObject(store, object) === undefined) add(object);
    }
  }
  return stale;
}

/**
 * Whether a Gateway's or ListenerSet's status says more than the API
 * server's default for a new object (`Accepted` and `Programmed` `Unknown`,
 * reason `Pending`): only a controller writes anything else.
 */
function hasControllerStatus(status: unknown): boolean {
  const s = (status ?? {}) as Json;
  const said = (v: unknown) =>
    v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);
  if (Object.entries(s).some(([k, v]) => k !== "conditions" && said(v))) return true;
  const conditions = (s.conditions ?? []) as Condition[];
  return conditions.some((c) => c.status !== "Unknown" || c.reason !== "Pending");
}
