/**
 * TLSRoutes are attached whole (`tls_routes.ts`: the oldest route to claim
 * an SNI hostname keeps it), but not on every translate: with a memo, the
 * last result is handed back while the TLSRoute list is the very same array
 * (the store keeps an unchanged kind's list), the listeners are the same as
 * routes see them (`listener_signature.ts`) and nothing the pass read
 * (Services, grants, namespace labels: `dependency_keys.ts`) changed. Its
 * statuses then come back as the same objects, so the status writer does
 * not look at them again, and an HTTPRoute change among thousands of
 * routes costs no TLSRoute.
 * @module
 */
import type { Problem } from "../model/config.ts";
import type { TLSRoute } from "../resources/tls_route_types.ts";
import type { TranslateContext } from "./context.ts";
import type { DependencyChanges } from "./dependency_changes.ts";
import type { ListenerState } from "./listener_state.ts";
import type { OurParent } from "./route_attachment.ts";
import { attachTlsRoutes, type TlsRoutesResult } from "./tls_routes.ts";

/** The last pass, kept with the memo. */
export interface KeptTlsRoutes {
  routes: readonly TLSRoute[];
  /** `listener_signature.ts` of the listeners it attached to. */
  listeners: string;
  reads: ReadonlySet<string>;
  result: TlsRoutesResult;
  /** Each listener id with the keys the pass added to its attached routes. */
  attached: [string, string[]][];
  problems: Problem[];
}

/** What the pass takes besides the context. */
export interface TlsRouteInputs {
  routes: readonly TLSRoute[];
  listenersByGateway: ReadonlyMap<string, ListenerState[]>;
  allListeners: readonly ListenerState[];
  controllerName: string;
  listenerSets?: ReadonlyMap<string, OurParent>;
  /** `listener_signature.ts` of this translate's listeners. */
  listeners: string;
}

/**
 * `attachTlsRoutes` over `inputs`, or the kept result when nothing it
 * depends on changed (`holder.tls`, updated here); `holder` absent: no memo.
 */
export function keptTlsRoutes(
  ctx: TranslateContext,
  inputs: TlsRouteInputs,
  holder: { tls?: KeptTlsRoutes } | undefined,
  changes: DependencyChanges | undefined,
): TlsRoutesResult {
  const attach = () =>
    attachTlsRoutes(
      ctx,
      inputs.routes,
      inputs.listenersByGateway,
      inputs.controllerName,
      inputs.listenerSets,
    );
  if (holder === undefined || changes === undefined) return attach();
  const last = holder.tls;
  if (
    last !== undefined && !changes.everything && last.routes === inputs.routes &&
    last.listeners === inputs.listeners && ![...changes.keys].some((key) => last.reads.has(key))
  ) {
    replay(ctx, inputs.allListeners, last);
    return last.result;
  }
  const before = new Map(inputs.allListeners.map((l) => [l.id, new Set(l.attachedRoutes)]));
  const problems = ctx.problems.length;
  const outer = ctx.reads;
  const reads = ctx.reads = new Set<string>();
  let result: TlsRoutesResult;
  try {
    result = attach();
  } finally {
    ctx.reads = outer;
  }
  if (outer !== undefined) { for (const read of reads) outer.add(read); }
  const attached: [string, string[]][] = [];
  for (const listener of inputs.allListeners) {
    const had = before.get(listener.id)!;
    const added = [...listener.attachedRoutes].filter((key) => !had.has(key));
    if (added.length > 0) attached.push([listener.id, added]);
  }
  holder.tls = {
    routes: inputs.routes,
    listeners: inputs.listeners,
    reads,
    result,
    attached,
    problems: ctx.problems.slice(problems),
  };
  return result;
}

/** What the kept pass did to this translate's listeners and problems, done again. */
function replay(
  ctx: TranslateContext,
  listeners: readonly ListenerState[],
  last: KeptTlsRoutes,
): void {
  const byId = new Map(listeners.map((l) => [l.id, l]));
  for (const [id, keys] of last.attached) {
    const listener = byId.get(id);
    if (listener !== undefined) { for (const key of keys) listener.attachedRoutes.add(key); }
  }
  for (const problem of last.problems) ctx.problems.push(problem);
}
