/**
 * ListenerSet statuses (`Accepted`, `Programmed` and one entry per listener,
 * with the reasons of `listenerset_types.go`) and the Gateway's
 * `attachedListenerSets`: the sets attached with `Accepted: True`.
 * @module
 */
import type { Condition } from "../resources/object_meta.ts";
import type { ListenerStatus } from "../resources/gateway_types.ts";
import type { ObjectStatus } from "../model/config.ts";
import { compareByName } from "./context.ts";
import { condition, ConditionType, Reason } from "./conditions.ts";
import { isProgrammed, listenerStatus } from "./listener.ts";
import type { ListenerState } from "./listener_state.ts";
import type { ListenerSetState } from "./listener_sets.ts";

/** Whether the set is attached to its Gateway: admitted, and at least one listener programmed. */
export function isAttached(state: ListenerSetState): boolean {
  return state.refusal === undefined && state.listeners.some(isProgrammed);
}

/** The statuses of `sets`, by `namespace/name`. */
export function listenerSetStatuses(sets: readonly ListenerSetState[]): ObjectStatus[] {
  return [...sets].sort((a, b) => compareByName(a.set, b.set)).map(listenerSetStatus);
}

/**
 * `status.attachedListenerSets` added to a Gateway's status. Gateways that
 * neither admit sets nor are named by one keep their status as it was.
 */
export function withAttachedListenerSets(
  status: ObjectStatus,
  allowsSets: boolean,
  sets: readonly ListenerSetState[] | undefined,
): ObjectStatus {
  if (!allowsSets && sets === undefined) return status;
  const attached = (sets ?? []).filter(isAttached).length;
  return { ...status, status: { ...status.status, attachedListenerSets: attached } };
}

function listenerSetStatus(state: ListenerSetState): ObjectStatus {
  const { set } = state;
  const generation = set.metadata.generation ?? 0;
  return {
    kind: "ListenerSet",
    namespace: set.metadata.namespace,
    name: set.metadata.name,
    generation,
    status: {
      conditions: setConditions(state, generation),
      // A refused set serves no listener: entries would only contradict that.
      listeners: state.refusal
        ? []
        : state.listeners.map((l) => listenerEntryStatus(l, generation)),
    },
  };
}

function setConditions(state: ListenerSetState, generation: number): Condition[] {
  const both = (ok: boolean, accepted: string, programmed: string, message: string) => [
    condition(ConditionType.Accepted, ok, accepted, message, generation),
    condition(ConditionType.Programmed, ok, programmed, message, generation),
  ];
  const { refusal, listeners } = state;
  if (refusal?.reason === Reason.ParentNotAccepted) {
    return both(false, Reason.ParentNotAccepted, Reason.ParentNotProgrammed, refusal.message);
  }
  if (refusal) return both(false, refusal.reason, refusal.reason, refusal.message);
  const programmed = listeners.filter(isProgrammed).length;
  if (programmed === listeners.length) {
    return both(true, Reason.Accepted, Reason.Programmed, "ListenerSet is attached");
  }
  const broken = listeners.filter((l) => !isProgrammed(l)).map((l) =>
    JSON.stringify(l.listener.name)
  );
  const message = `Listeners ${
    broken.join(", ")
  } are not valid; ${programmed} of ${listeners.length} are programmed`;
  if (programmed === 0) {
    return both(false, Reason.ListenersNotValid, Reason.ListenersNotValid, message);
  }
  return [
    condition(ConditionType.Accepted, true, Reason.ListenersNotValid, message, generation),
    condition(ConditionType.Programmed, true, Reason.Programmed, message, generation),
  ];
}

/**
 * A listener's entry: as a Gateway listener's, except that a conflicted
 * listener's `Programmed` carries the conflict's reason (the ListenerSet
 * conformance tests ask for it).
 */
function listenerEntryStatus(state: ListenerState, generation: number): ListenerStatus {
  const status = listenerStatus(state, generation);
  const conflicted = state.conflicted;
  if (!conflicted) return status;
  return {
    ...status,
    conditions: status.conditions.map((c) =>
      c.type === ConditionType.Programmed ? { ...c, reason: conflicted.reason } : c
    ),
  };
}
