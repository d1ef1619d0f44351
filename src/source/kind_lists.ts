/**
 * The store's list of each kind as its snapshots hand it out: made again
 * only once the kind changed (an unchanged kind is the very same frozen
 * array in the next snapshot), and then carrying which objects left and
 * came since the list before (`model/list_trail.ts`), so `translate` reads
 * a change of one route among thousands as that route.
 *
 * @example
 * ```ts
 * import { KindLists } from "./kind_lists.ts";
 * import type { GatewayResource } from "../resources/types.ts";
 * const lists = new KindLists();
 * const objects = new Map<string, GatewayResource>();
 * const first = lists.list("HTTPRoute", objects);
 * lists.list("HTTPRoute", objects) === first; // true: nothing was touched
 * ```
 * @module
 */
import type { GatewayResource, ResourceKind } from "../resources/types.ts";
import { listTrail, withListTrail } from "../model/list_trail.ts";

/** More objects touched than this between two lists: the next list carries no trail. */
const MOST_TOUCHED = 1_024;

interface Made {
  list: readonly GatewayResource[];
  /** Whether `list` still holds the kind's objects. */
  current: boolean;
  /** Each key touched since `list` was made → the object `list` held under it, if any. */
  touched: Map<string, GatewayResource | undefined>;
  /** Too much changed (or the kind was replaced whole): no trail for the next list. */
  untracked: boolean;
}

/** See the module doc. */
export class KindLists {
  readonly #made = new Map<ResourceKind, Made>();

  /** The object under `key` of `kind` is about to change; `old` is the one stored now. */
  touch(kind: ResourceKind, key: string, old: GatewayResource | undefined): void {
    const made = this.#made.get(kind);
    if (made === undefined) return;
    made.current = false;
    if (made.untracked || made.touched.has(key)) return;
    made.touched.set(key, old);
    if (made.touched.size > MOST_TOUCHED) this.replace(kind);
  }

  /** Every object of `kind` may have changed: the next list is made without a trail. */
  replace(kind: ResourceKind): void {
    const made = this.#made.get(kind);
    if (made === undefined) return;
    made.current = false;
    made.untracked = true;
    made.touched.clear();
  }

  /** The frozen list of `objects` (the kind's map, in its order). */
  list(
    kind: ResourceKind,
    objects: ReadonlyMap<string, GatewayResource>,
  ): readonly GatewayResource[] {
    const made = this.#made.get(kind);
    if (made?.current) return made.list;
    const list = [...objects.values()];
    if (made !== undefined && !made.untracked) {
      const gone: GatewayResource[] = [];
      const upserts: GatewayResource[] = [];
      for (const [key, old] of made.touched) {
        const now = objects.get(key);
        if (old === now) continue;
        if (old !== undefined) gone.push(old);
        if (now !== undefined) upserts.push(now);
      }
      withListTrail(list, { since: made.list, gone, upserts });
      // The list before keeps no link further back: one list holds at most one more alive.
      const before = listTrail(made.list);
      if (before !== undefined) before.since = undefined;
    }
    Object.freeze(list);
    this.#made.set(kind, { list, current: true, touched: new Map(), untracked: false });
    return list;
  }
}
