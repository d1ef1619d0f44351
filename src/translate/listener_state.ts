/**
 * What `translate` knows of one listener while it works: the listener module
 * fills it, the conflict check marks it, the Gateway status reads it.
 * @module
 */
import type { Gateway, Listener, RouteGroupKind } from "../resources/gateway_types.ts";
import type { ListenerSet } from "../resources/listener_set_types.ts";
import type { CertificateConfig, ClientValidationConfig } from "../model/config.ts";
import type { Outcome } from "./conditions.ts";

/** What `translate` knows of one listener while it works. */
export interface ListenerState {
  /** The Gateway the listener serves on: its own, or the parent of its ListenerSet. */
  readonly gateway: Gateway;
  /**
   * The object that declares the listener: the Gateway, or a ListenerSet.
   * Problems are reported on it, `allowedRoutes` `Same` means its namespace,
   * and certificate references need ReferenceGrants from it.
   */
  readonly owner: Gateway | ListenerSet;
  readonly listener: Listener;
  readonly id: string;
  /** `spec.listeners[i]` of the owner, for problems. */
  readonly field: string;
  /** The protocol, when it is one this gateway serves. */
  readonly protocol?: "HTTP" | "HTTPS" | "TLS";
  readonly supportedKinds: RouteGroupKind[];
  readonly accepted: Outcome & { ok: boolean };
  conflicted?: Outcome;
  readonly resolvedRefs: Outcome & { ok: boolean };
  readonly certificates: CertificateConfig[];
  /** HTTPS: the client-certificate validation the data plane enforces. */
  readonly clientValidation?: ClientValidationConfig;
  /**
   * `resolvedRefs` is False only for CA certificate references while others
   * are valid: the listener is served with the valid ones.
   */
  readonly partialCaRefs?: boolean;
  /** `namespace/name` of the routes attached with Accepted=True. */
  attachedRoutes: Set<string>;
  /**
   * How many more routes are attached, kept from one translate to the next
   * (`route_attachments.ts`); none of them is in `attachedRoutes`.
   */
  keptAttachedCount?: number;
}
