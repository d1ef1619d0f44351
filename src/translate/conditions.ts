/**
 * Condition builders with the Gateway API's exact condition types and reasons
 * (from `apis/v1/shared_types.go`, `gateway_types.go`,
 * `listenerset_types.go` and `gatewayclass_types.go`). Conditions carry no `lastTransitionTime`: the
 * status writer sets it when a condition actually changes.
 * @module
 */
import type { Condition } from "../resources/object_meta.ts";

/** Condition types used by this gateway. */
export const ConditionType = {
  Accepted: "Accepted",
  Programmed: "Programmed",
  ResolvedRefs: "ResolvedRefs",
  Conflicted: "Conflicted",
  PartiallyInvalid: "PartiallyInvalid",
} as const;

/** Condition reasons used by this gateway, spelled as the spec spells them. */
export const Reason = {
  Accepted: "Accepted",
  InvalidParameters: "InvalidParameters",
  ListenersNotValid: "ListenersNotValid",
  Programmed: "Programmed",
  Invalid: "Invalid",
  ResolvedRefs: "ResolvedRefs",
  NoConflicts: "NoConflicts",
  HostnameConflict: "HostnameConflict",
  ProtocolConflict: "ProtocolConflict",
  UnsupportedProtocol: "UnsupportedProtocol",
  UnsupportedValue: "UnsupportedValue",
  InvalidCertificateRef: "InvalidCertificateRef",
  InvalidRouteKinds: "InvalidRouteKinds",
  RefNotPermitted: "RefNotPermitted",
  NotAllowedByListeners: "NotAllowedByListeners",
  NoMatchingListenerHostname: "NoMatchingListenerHostname",
  NoMatchingParent: "NoMatchingParent",
  IncompatibleFilters: "IncompatibleFilters",
  InvalidKind: "InvalidKind",
  BackendNotFound: "BackendNotFound",
  UnsupportedAddress: "UnsupportedAddress",
  AddressNotAssigned: "AddressNotAssigned",
  AddressNotUsable: "AddressNotUsable",
  /** ListenerSet `Accepted`/`Programmed`: the parent Gateway does not admit the set. */
  NotAllowed: "NotAllowed",
  /** ListenerSet `Accepted`: the parent Gateway is not accepted. */
  ParentNotAccepted: "ParentNotAccepted",
  /** ListenerSet `Programmed`: the parent Gateway is not programmed. */
  ParentNotProgrammed: "ParentNotProgrammed",
} as const;

/** A condition with its outcome, before it is stamped with a generation. */
export interface Outcome {
  reason: string;
  message: string;
}

/**
 * Builds a condition.
 *
 * @example
 * ```ts
 * import { condition } from "./conditions.ts";
 * condition("Accepted", true, "Accepted", "Route is accepted", 3);
 * ```
 */
export function condition(
  type: string,
  status: boolean,
  reason: string,
  message: string,
  observedGeneration: number,
): Condition {
  return { type, status: status ? "True" : "False", reason, message, observedGeneration };
}
