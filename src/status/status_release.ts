/**
 * What the status writer does with an object `translate` stops reporting on
 * while the object stays: a route whose every parent of ours went away, a
 * Gateway whose class is gone or no longer ours, a ListenerSet whose parent
 * Gateway went away. What we wrote would otherwise stay, saying `Accepted`
 * about something nobody serves.
 *
 * - A route's `parents` (a policy's `ancestors`): our entries are removed
 *   and other controllers' kept, as the spec asks of a controller whose
 *   entries are "no longer necessary" (`RouteParentStatus.controllerName`).
 * - A Gateway's or ListenerSet's whole status: set back to what the API
 *   server gives a new object, `Accepted` and `Programmed` `Unknown` with
 *   reason `Pending` ("no controller has reconciled" it; the spec has no
 *   reason for a parent that is gone: `ParentNotAccepted` and `NotAllowed`
 *   speak of a parent that exists), listeners and addresses dropped. That
 *   status names no controller, so it is reset only while it is still the
 *   one we wrote or found: a new owner's status is left alone.
 *
 * After a restart, what an earlier process left on objects that stopped
 * being ours while none ran is found in the store once (`stale_statuses.ts`)
 * and taken back the same way.
 *
 * @example
 * ```ts
 * import { StatusReleases } from "./status_release.ts";
 * const releases = new StatusReleases();
 * const release = releases.releaseOf({
 *   kind: "HTTPRoute", namespace: "default", name: "r", generation: 1,
 *   status: { parents: [] },
 * });
 * releases.isRelease(release!); // true
 * ```
 * @module
 */
import type { Condition } from "../resources/object_meta.ts";
import type { ObjectStatus } from "../model/config.ts";
import { jsonEqual, SHARED_LISTS } from "./status_merge.ts";

type Json = Record<string, unknown>;

/** Kinds whose whole status is ours while we report on them, and are reset after. */
const RESET_KINDS: ReadonlySet<ObjectStatus["kind"]> = new Set(["Gateway", "ListenerSet"]);

const WAITING: readonly Condition[] = ["Accepted", "Programmed"].map((type) => ({
  type,
  status: "Unknown",
  reason: "Pending",
  message: "Waiting for controller",
}));

/** Release statuses for objects no longer ours, and the statuses they may reset. */
export class StatusReleases {
  readonly #releases = new WeakSet<ObjectStatus>();
  /** Whole statuses last written or found as ours, by object key. */
  readonly #owned = new Map<string, unknown>();

  /**
   * The status that takes ours back from the object `gone` reported on, or
   * `undefined` for a kind that keeps it (a GatewayClass is ours for life).
   */
  releaseOf(gone: ObjectStatus): ObjectStatus | undefined {
    const shared = SHARED_LISTS[gone.kind as keyof typeof SHARED_LISTS];
    let status: ObjectStatus["status"];
    if (shared !== undefined) status = { [shared.list]: [] };
    else if (RESET_KINDS.has(gone.kind)) status = { conditions: WAITING.map((c) => ({ ...c })) };
    else return undefined;
    const { kind, namespace, name, generation } = gone;
    const release: ObjectStatus = { kind, namespace, name, generation, status };
    this.#releases.add(release);
    return release;
  }

  /** Whether `want` came from {@linkcode releaseOf}. */
  isRelease(want: ObjectStatus): boolean {
    return this.#releases.has(want);
  }

  /**
   * Whether a release of `key` may be written over its `current` status: a shared list
   * always (only our entries go), a whole status only while it is ours.
   */
  mayWrite(key: string, kind: ObjectStatus["kind"], current: Json | undefined): boolean {
    if (!RESET_KINDS.has(kind)) return true;
    return this.#owned.has(key) && jsonEqual(current ?? {}, this.#owned.get(key));
  }

  /** Notes `status` as the one we wrote or found on the object `key` (not a release's). */
  confirm(key: string, kind: ObjectStatus["kind"], status: unknown): void {
    if (RESET_KINDS.has(kind)) this.#owned.set(key, status ?? {});
  }

  /** Forgets the object `key` (released, or gone). */
  forget(key: string): void {
    this.#owned.delete(key);
  }
}
