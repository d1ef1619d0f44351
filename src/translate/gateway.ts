/**
 * The Gateway status: `Accepted` and `Programmed` summarised from the
 * listeners, the addresses the gateway is reachable on, and every listener's
 * status in spec order.
 * @module
 */
import type { Gateway } from "../resources/gateway_types.ts";
import type { Condition } from "../resources/object_meta.ts";
import type { ObjectStatus, TranslateOptions } from "../model/config.ts";
import type { TranslateContext } from "./context.ts";
import { condition, ConditionType, Reason } from "./conditions.ts";
import { isProgrammed, listenerStatus } from "./listener.ts";
import type { ListenerState } from "./listener_state.ts";
import { assignPoolAddresses, gatewayKey } from "./address_assignment.ts";
import { parseAddressPool } from "./address_pool.ts";

const SUPPORTED_ADDRESS_TYPES = new Set(["IPAddress", "Hostname"]);

/** How a Gateway's addresses turned out: what it publishes, and what it asked for in vain. */
export interface AddressOutcome {
  /** `status.addresses`. */
  addresses: { type: "IPAddress" | "Hostname"; value: string }[];
  /** Pool mode: the addresses its listeners bind. Absent: the shared listen host. */
  bindAddresses?: string[];
  /** Requested types not supported (`Accepted=False`, `UnsupportedAddress`). */
  unsupported: string[];
  /** Requested addresses that cannot be used (`Programmed=False`, `AddressNotUsable`). */
  unusable: string[];
  /** Requests not assigned (`Programmed=False`, `AddressNotAssigned`). */
  unassigned: string[];
}

/** Whether the Gateway can be served on the addresses of `outcome`. */
export function isServable(outcome: AddressOutcome): boolean {
  return outcome.unsupported.length === 0 && outcome.unusable.length === 0 &&
    outcome.unassigned.length === 0;
}

/**
 * The Gateways whose requested addresses cannot be honoured, each reported
 * as a problem. They are not served at all: serving one on other addresses
 * would contradict its status.
 */
export function unservableGateways(
  ctx: TranslateContext,
  gateways: readonly Gateway[],
  outcomes: ReadonlyMap<string, AddressOutcome>,
): Set<Gateway> {
  const unservable = new Set<Gateway>();
  for (const gateway of gateways) {
    const parametersRef = gateway.spec.infrastructure?.parametersRef;
    if (parametersRef !== undefined) {
      unservable.add(gateway);
      ctx.problem(gateway, "spec.infrastructure.parametersRef", invalidParameters(parametersRef));
      continue;
    }
    const outcome = outcomes.get(gatewayKey(gateway));
    if (outcome === undefined || isServable(outcome)) continue;
    unservable.add(gateway);
    ctx.problem(
      gateway,
      "spec.addresses",
      outcome.unsupported.length > 0
        ? `Cannot serve Gateway: address types ${outcome.unsupported.join(", ")} are not supported`
        : outcome.unusable.length > 0
        ? `Cannot serve Gateway: requested addresses cannot be used: ${outcome.unusable.join("; ")}`
        : `Cannot serve Gateway: requested addresses are not assigned: ${
          outcome.unassigned.join(", ")
        }`,
    );
  }
  return unservable;
}

/**
 * The address outcome of every Gateway (`gateways` oldest first), by
 * `namespace/name`. With `options.addressPool` each Gateway gets its own
 * addresses (`assignPoolAddresses`); without, every Gateway publishes
 * `options.gatewayAddresses` and `spec.addresses` are checked against them:
 * this gateway assigns nothing then, so a requested address it does not
 * publish is `AddressNotAssigned` (an empty value asks for any address of
 * that type).
 */
export function addressOutcomes(
  gateways: readonly Gateway[],
  options: TranslateOptions,
): Map<string, AddressOutcome> {
  const out = new Map<string, AddressOutcome>();
  if (options.addressPool !== undefined) {
    const assigned = assignPoolAddresses(gateways, parseAddressPool(options.addressPool));
    for (const [key, a] of assigned) {
      const served = a.unsupported.length + a.unusable.length + a.unassigned.length === 0;
      const addresses = served ? a.addresses : [];
      out.set(key, {
        addresses: addresses.map((value) => ({ type: "IPAddress", value })),
        bindAddresses: addresses,
        unsupported: a.unsupported,
        unusable: a.unusable,
        unassigned: a.unassigned,
      });
    }
    return out;
  }
  const published = options.gatewayAddresses ?? [];
  for (const gateway of gateways) {
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
    out.set(gatewayKey(gateway), {
      addresses: published.map((a) => ({ type: a.type, value: a.value })),
      unsupported,
      unusable: [],
      unassigned,
    });
  }
  return out;
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
  addresses: AddressOutcome,
  pool: boolean,
  extraConditions: readonly Condition[] = [],
): ObjectStatus {
  const generation = gateway.metadata.generation ?? 0;
  return {
    kind: "Gateway",
    namespace: gateway.metadata.namespace ?? "default",
    name: gateway.metadata.name,
    generation,
    status: {
      addresses: addresses.addresses.map((a) => ({ type: a.type, value: a.value })),
      conditions: [
        acceptedCondition(gateway, listeners, addresses, pool, generation),
        programmedCondition(gateway, listeners, addresses, generation),
        ...extraConditions,
      ],
      listeners: listeners.map((l) => listenerStatus(l, generation)),
    },
  };
}

/**
 * Why a Gateway's `infrastructure.parametersRef` is refused: this gateway
 * provisions nothing, so no kind of parameters applies (the spec's
 * `InvalidParameters` for a referent of an unsupported kind).
 */
function invalidParameters(ref: { group: string; kind: string; name: string }): string {
  return `Cannot use infrastructure parameters ${ref.kind}.${ref.group}/${ref.name}: this gateway supports no parameters kind for Gateways`;
}

function acceptedCondition(
  gateway: Gateway,
  listeners: readonly ListenerState[],
  addresses: AddressOutcome,
  pool: boolean,
  generation: number,
): Condition {
  const programmed = listeners.filter(isProgrammed);
  const broken = listeners.filter((l) => !isProgrammed(l)).map((l) =>
    JSON.stringify(l.listener.name)
  );
  const parametersRef = gateway.spec.infrastructure?.parametersRef;
  if (parametersRef !== undefined) {
    return condition(
      ConditionType.Accepted,
      false,
      Reason.InvalidParameters,
      invalidParameters(parametersRef),
      generation,
    );
  }
  if (addresses.unsupported.length > 0) {
    return condition(
      ConditionType.Accepted,
      false,
      Reason.UnsupportedAddress,
      `Address types ${
        addresses.unsupported.map((t) => JSON.stringify(t)).join(", ")
      } are not supported; supported: ${pool ? "IPAddress" : "IPAddress, Hostname"}`,
      generation,
    );
  }
  if (broken.length === 0) {
    return condition(
      ConditionType.Accepted,
      true,
      Reason.Accepted,
      "Gateway is accepted",
      generation,
    );
  }
  return condition(
    ConditionType.Accepted,
    programmed.length > 0,
    Reason.ListenersNotValid,
    `Listeners ${
      broken.join(", ")
    } are not valid; ${programmed.length} of ${listeners.length} are programmed`,
    generation,
  );
}

function programmedCondition(
  gateway: Gateway,
  listeners: readonly ListenerState[],
  addresses: AddressOutcome,
  generation: number,
): Condition {
  const programmed = (reason: string, message: string) =>
    condition(ConditionType.Programmed, reason === Reason.Programmed, reason, message, generation);
  if (gateway.spec.infrastructure?.parametersRef !== undefined) {
    return programmed(Reason.Invalid, "Gateway is not accepted: its parametersRef is invalid");
  }
  if (addresses.unsupported.length > 0) {
    return programmed(Reason.Invalid, "Gateway is not accepted: its address type is not supported");
  }
  if (addresses.unusable.length > 0) {
    return programmed(
      Reason.AddressNotUsable,
      `Requested addresses cannot be used: ${addresses.unusable.join("; ")}`,
    );
  }
  if (addresses.unassigned.length > 0) {
    return programmed(
      Reason.AddressNotAssigned,
      `Requested addresses are not assigned to this gateway: ${addresses.unassigned.join(", ")}`,
    );
  }
  return listeners.some(isProgrammed)
    ? programmed(Reason.Programmed, "Gateway is programmed")
    : programmed(Reason.Invalid, "Gateway has no valid listener");
}
