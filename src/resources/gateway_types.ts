/**
 * Gateway API `GatewayClass` and `Gateway` shapes: listeners, TLS, allowed
 * routes, addresses and their status.
 *
 * These are the *validated* shapes, with the Gateway API v1 field names
 * exactly: a raw object becomes one only through `validate*` in this folder,
 * so downstream code may rely on required fields being present and typed.
 * Optional fields stay optional where the API defaults them; defaults are
 * applied by `translate`, which documents each.
 * @module
 */

import type { Condition, KubeObject } from "./object_meta.ts";

export interface GatewayClass extends KubeObject {
  kind: "GatewayClass";
  spec: {
    controllerName: string;
    parametersRef?: { group: string; kind: string; name: string; namespace?: string };
    description?: string;
  };
  status?: { conditions?: Condition[] };
}

export type ProtocolType = "HTTP" | "HTTPS" | "TLS" | "TCP" | "UDP" | string;

export interface SecretObjectReference {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
}

/** `FrontendTLSValidation`: CA certificates that client certificates must chain to. */
export interface FrontendValidation {
  caCertificateRefs: SecretObjectReference[];
  /** `AllowValidOnly` (default) or `AllowInsecureFallback`. */
  mode?: string;
}

export interface GatewayTLSConfig {
  /** Default `Terminate`. */
  mode?: "Terminate" | "Passthrough";
  certificateRefs?: SecretObjectReference[];
  options?: Record<string, string>;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface RouteGroupKind {
  group?: string;
  kind: string;
}

/** `FromNamespaces` of `AllowedListeners`: `None` (the default) admits no ListenerSet. */
export type ListenerNamespacesFrom = "All" | "Same" | "Selector" | "None";

/** `spec.allowedListeners`: which ListenerSets may attach to a Gateway. */
export interface AllowedListeners {
  namespaces?: { from?: ListenerNamespacesFrom; selector?: LabelSelector };
}

export interface AllowedRoutes {
  namespaces?: { from?: "All" | "Same" | "Selector"; selector?: LabelSelector };
  kinds?: RouteGroupKind[];
}

export interface Listener {
  name: string;
  hostname?: string;
  port: number;
  protocol: ProtocolType;
  tls?: GatewayTLSConfig;
  allowedRoutes?: AllowedRoutes;
}

export interface GatewayAddress {
  type?: "IPAddress" | "Hostname" | string;
  value: string;
}

export interface ListenerStatus {
  name: string;
  supportedKinds: RouteGroupKind[];
  attachedRoutes: number;
  conditions: Condition[];
}

export interface GatewayStatus {
  addresses?: GatewayAddress[];
  conditions?: Condition[];
  listeners?: ListenerStatus[];
  /** ListenerSets attached with `Accepted: True`. */
  attachedListenerSets?: number;
}

export interface Gateway extends KubeObject {
  kind: "Gateway";
  spec: {
    gatewayClassName: string;
    listeners: Listener[];
    addresses?: GatewayAddress[];
    infrastructure?: GatewayInfrastructure;
    /** Which ListenerSets may attach; absent: none. */
    allowedListeners?: AllowedListeners;
    /** `spec.tls`: the backend client certificate and the frontend (client) validation. */
    tls?: {
      backend?: { clientCertificateRef?: SecretObjectReference };
      frontend?: {
        default?: { validation?: FrontendValidation };
        perPort?: { port: number; tls: { validation?: FrontendValidation } }[];
      };
    };
  };
  status?: GatewayStatus;
}

/** `GatewayInfrastructure`: metadata for provisioned resources, and their parameters. */
export interface GatewayInfrastructure {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  parametersRef?: { group: string; kind: string; name: string };
}
