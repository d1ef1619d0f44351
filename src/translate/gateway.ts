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

const SUPPORTED_ADDRESS_TYPES = new Set(["IPAddress", "Hostname"]);

/**
 * Checks `spec.addresses` against what this gateway can be: it cannot assign
 * addresses, it is reachable only on the addresses it publishes
 * (`options.gatewayAddresses`). A type it does not know makes the Gateway not
 * accepted (`UnsupportedAddress`); a requested address it does not publish
 * makes it not programmed (`AddressNotAssigned`). An empty value asks for any
 * address of that type.
 */
export function addressProblems(
  gateway: Gateway,
  options: TranslateOptions,
): { unsupported: string[]; unassigned: string[] } {
  const published = options.gatewayAddresses ?? [];
  const unsupported: string[] = [];
  const unassigned: string[] = [];
  for (const address of gateway.spec.addresses ?? []) {
    const type = address.type ?? "IPAddress";
    if (!SUPPORTED_ADDRESS_TYPES.has(type)) {
      unsupported.push(type);
    } else if (
      !published.some((p) => p.type === type && (!address.value || p.value === address.value))
    ) {
      unassigned.push(address.value ? `${type} ${address.value}` : `any ${type}`);
    }
  }
  return { unsupported, unassigned };
}

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
  const addresses = addressProblems(gateway, options);
  if (addresses.unsupported.length > 0) {
    conditions.push(
      condition(
        ConditionType.Accepted,
        false,
        Reason.UnsupportedAddress,
        `Address types ${
          addresses.unsupported.map((t) => JSON.stringify(t)).join(", ")
        } are not supported; supported: IPAddress, Hostname`,
        generation,
      ),
    );
  } else if (broken.length === 0) {
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
    addresses.unsupported.length > 0
      ? condition(
        ConditionType.Programmed,
        false,
        Reason.Invalid,
        "Gateway is not accepted: its address type is not supported",
        generation,
      )
      : addresses.unassigned.length > 0
      ? condition(
        ConditionType.Programmed,
        false,
        Reason.AddressNotAssigned,
        `Requested addresses are not assigned to this gateway: ${addresses.unassigned.join(", ")}`,
        generation,
      )
      : programmed.length > 0
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
