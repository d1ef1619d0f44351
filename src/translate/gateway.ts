/**
 * The Gateway status: `Accepted` and `Programmed` summarised from the
 * listeners, the addresses the gateway is reachable on, and every listener's
 * status in spec order.
 * @module
 */
import type { Gateway } from "../resources/types.ts";
import type { ObjectStatus, TranslateOptions } from "./config.ts";
import { condition, ConditionType, Reason } from "./conditions.ts";
import { isProgrammed, type ListenerState, listenerStatus } from "./listener.ts";

/**
 * Builds the status of one Gateway. `Accepted` is True with reason `Accepted`
 * when every listener is programmed, True with `ListenersNotValid` when only
 * some are, and False with `ListenersNotValid` when none is (the conformance
 * suite checks exactly these three cases).
 */
export function gatewayStatus(
  gateway: Gateway,
  listeners: readonly ListenerState[],
  options: TranslateOptions,
): ObjectStatus {
  const generation = gateway.metadata.generation ?? 0;
  const programmed = listeners.filter(isProgrammed);
  const broken = listeners.filter((l) => !isProgrammed(l)).map((l) =>
    JSON.stringify(l.listener.name)
  );
  const conditions = [];
  if (broken.length === 0) {
    conditions.push(
      condition(ConditionType.Accepted, true, Reason.Accepted, "Gateway is accepted", generation),
    );
  } else {
    conditions.push(
      condition(
        ConditionType.Accepted,
        programmed.length > 0,
        Reason.ListenersNotValid,
        `Listeners ${
          broken.join(", ")
        } are not valid; ${programmed.length} of ${listeners.length} are programmed`,
        generation,
      ),
    );
  }
  conditions.push(
    programmed.length > 0
      ? condition(
        ConditionType.Programmed,
        true,
        Reason.Programmed,
        "Gateway is programmed",
        generation,
      )
      : condition(
        ConditionType.Programmed,
        false,
        Reason.Invalid,
        "Gateway has no valid listener",
        generation,
      ),
  );
  return {
    kind: "Gateway",
    namespace: gateway.metadata.namespace ?? "default",
    name: gateway.metadata.name,
    generation,
    status: {
      addresses: (options.gatewayAddresses ?? []).map((a) => ({ type: a.type, value: a.value })),
      conditions,
      listeners: listeners.map((l) => listenerStatus(l, generation)),
    },
  };
}
