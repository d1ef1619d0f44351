/**
 * Pure status computation for the status writer: from the status `translate`
 * wants (conditions without `lastTransitionTime`) and the status the object
 * has now, the status to write.
 *
 * `metav1.Condition` semantics: `lastTransitionTime` is the last time the
 * condition's `status` changed; a new reason or message alone keeps it. Each
 * condition carries the `observedGeneration` it was computed from.
 *
 * Ownership: a GatewayClass's, a Gateway's and a ListenerSet's whole status is ours (translate
 * only reports the ones our controller handles). An HTTPRoute's
 * `status.parents` is shared between controllers: only entries whose
 * `controllerName` is ours are replaced, every other entry is kept as is.
 *
 * @example
 * ```ts
 * import { mergeStatus } from "./status_merge.ts";
 * const next = mergeStatus(
 *   { kind: "GatewayClass", name: "c", generation: 2, status: { conditions: [
 *     { type: "Accepted", status: "True", reason: "Accepted", message: "" }] } },
 *   undefined,
 *   "example.com/gateway",
 *   "2026-01-01T00:00:00Z",
 * );
 * ```
 * @module
 */
import type { Condition } from "../resources/object_meta.ts";
import type { ObjectStatus } from "../model/config.ts";

type Json = Record<string, unknown>;

/** Merges `want` into `current`, keeping transition times of unchanged conditions. */
export function mergeConditions(
  want: readonly Condition[] | undefined,
  current: readonly Condition[] | undefined,
  generation: number,
  now: string,
): Condition[] {
  return (want ?? []).map((c) => {
    const old = current?.find((o) => o.type === c.type);
    return {
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
      observedGeneration: c.observedGeneration ?? generation,
      lastTransitionTime: old && old.status === c.status && old.lastTransitionTime
        ? old.lastTransitionTime
        : now,
    };
  });
}

function parentKey(ref: Json | undefined, routeNamespace: string | undefined): string {
  return JSON.stringify([
    ref?.group ?? "gateway.networking.k8s.io",
    ref?.kind ?? "Gateway",
    ref?.namespace ?? routeNamespace ?? "",
    ref?.name ?? "",
    ref?.sectionName ?? "",
    ref?.port ?? "",
  ]);
}

/**
 * Status lists several controllers share, each entry owned by the one named
 * in its `controllerName`: a route's `parents`, a policy's `ancestors`.
 */
export const SHARED_LISTS = {
  HTTPRoute: { list: "parents", ref: "parentRef" },
  GRPCRoute: { list: "parents", ref: "parentRef" },
  TLSRoute: { list: "parents", ref: "parentRef" },
  BackendTLSPolicy: { list: "ancestors", ref: "ancestorRef" },
} as const;

/**
 * The full status to write for `want`, given the object's `current` status.
 * For HTTPRoutes the result's `parents` holds the other controllers' entries
 * first (in their order), then ours (in translate's order).
 */
export function mergeStatus(
  want: ObjectStatus,
  current: Json | undefined,
  controllerName: string,
  now: string,
): Json {
  const gen = want.generation;
  const conditionsOf = (v: unknown) => (v as { conditions?: Condition[] } | undefined)?.conditions;
  const shared = SHARED_LISTS[want.kind as keyof typeof SHARED_LISTS];
  if (shared !== undefined) {
    const { list, ref } = shared;
    const existing = (current?.[list] ?? []) as Json[];
    const others = existing.filter((p) => p.controllerName !== controllerName);
    const ours = ((want.status[list] ?? []) as unknown[]).map((raw) => {
      const p = raw as Json;
      const key = parentKey(p[ref] as Json, want.namespace);
      const old = existing.find((e) =>
        e.controllerName === controllerName && parentKey(e[ref] as Json, want.namespace) === key
      );
      return {
        ...p,
        controllerName,
        conditions: mergeConditions(conditionsOf(p), conditionsOf(old), gen, now),
      };
    });
    return { ...current, [list]: [...others, ...ours] };
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(want.status)) if (v !== undefined) out[k] = v;
  out.conditions = mergeConditions(want.status.conditions, conditionsOf(current), gen, now);
  if ((want.kind === "Gateway" || want.kind === "ListenerSet") && want.status.listeners) {
    const oldListeners = (current?.listeners ?? []) as Json[];
    out.listeners = want.status.listeners.map((raw) => {
      const l = raw as Json;
      const old = oldListeners.find((o) => o.name === l.name);
      return { ...l, conditions: mergeConditions(conditionsOf(l), conditionsOf(old), gen, now) };
    });
  }
  return out;
}

/**
 * The `status` of a JSON merge patch turning `current` into `next`. Merge
 * patches replace lists wholesale (so `parents` is sent complete) and leave
 * absent keys alone, so keys we own that disappeared are sent as `null`.
 */
export function statusPatch(
  kind: ObjectStatus["kind"],
  next: Json,
  current: Json | undefined,
): Json {
  const shared = SHARED_LISTS[kind as keyof typeof SHARED_LISTS];
  if (shared !== undefined) return { [shared.list]: next[shared.list] };
  const patch: Json = { ...next };
  for (const key of Object.keys(current ?? {})) if (!(key in next)) patch[key] = null;
  return patch;
}

/** Structural equality of JSON values, ignoring key order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ka = Object.keys(a).filter((k) => (a as Json)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Json)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => jsonEqual((a as Json)[k], (b as Json)[k]));
}
