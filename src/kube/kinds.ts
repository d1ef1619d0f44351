/**
 * The object kinds the Kubernetes source lists and watches, with the REST
 * coordinates of each. The deploy manifests' RBAC rules are checked against
 * this list, so adding a kind here is the one place to change.
 *
 * @example
 * ```ts
 * import { kindPath, WATCHED_KINDS } from "./kinds.ts";
 * const route = WATCHED_KINDS.find((k) => k.kind === "HTTPRoute")!;
 * kindPath(route); // "/apis/gateway.networking.k8s.io/v1/httproutes"
 * ```
 * @module
 */
import type { ResourceKind } from "../resources/types.ts";

/** REST coordinates of one watched kind. */
export interface WatchedKind {
  kind: ResourceKind;
  /** API group; `""` is the core group. */
  group: string;
  version: string;
  /** Plural resource name in URLs. */
  resource: string;
  namespaced: boolean;
  /** Sent with every list and watch of this kind. */
  fieldSelector?: string;
}

/** Every kind the gateway reads from the API server, in sync order. */
export const WATCHED_KINDS: readonly WatchedKind[] = Object.freeze(
  [
    {
      kind: "GatewayClass",
      group: "gateway.networking.k8s.io",
      version: "v1",
      resource: "gatewayclasses",
      namespaced: false,
    },
    {
      kind: "Gateway",
      group: "gateway.networking.k8s.io",
      version: "v1",
      resource: "gateways",
      namespaced: true,
    },
    {
      kind: "ListenerSet",
      group: "gateway.networking.k8s.io",
      version: "v1",
      resource: "listenersets",
      namespaced: true,
    },
    {
      kind: "HTTPRoute",
      group: "gateway.networking.k8s.io",
      version: "v1",
      resource: "httproutes",
      namespaced: true,
    },
    {
      kind: "GRPCRoute",
      group: "gateway.networking.k8s.io",
      version: "v1",
      resource: "grpcroutes",
      namespaced: true,
    },
    {
      kind: "TLSRoute",
      group: "gateway.networking.k8s.io",
      version: "v1",
      resource: "tlsroutes",
      namespaced: true,
    },
    {
      kind: "ReferenceGrant",
      group: "gateway.networking.k8s.io",
      version: "v1beta1",
      resource: "referencegrants",
      namespaced: true,
    },
    {
      kind: "BackendTLSPolicy",
      group: "gateway.networking.k8s.io",
      version: "v1",
      resource: "backendtlspolicies",
      namespaced: true,
    },
    { kind: "Service", group: "", version: "v1", resource: "services", namespaced: true },
    { kind: "Namespace", group: "", version: "v1", resource: "namespaces", namespaced: false },
    {
      kind: "EndpointSlice",
      group: "discovery.k8s.io",
      version: "v1",
      resource: "endpointslices",
      namespaced: true,
    },
    // Only TLS secrets are ever referenced by listeners; the selector keeps every
    // other secret (service-account tokens, application credentials) out of memory.
    {
      kind: "Secret",
      group: "",
      version: "v1",
      resource: "secrets",
      namespaced: true,
      fieldSelector: "type=kubernetes.io/tls",
    },
    // BackendTLSPolicy CA bundles (`ca.crt`).
    { kind: "ConfigMap", group: "", version: "v1", resource: "configmaps", namespaced: true },
  ] satisfies WatchedKind[],
);

/** `apiVersion` of a kind's objects (`v1`, `gateway.networking.k8s.io/v1`). */
export function apiVersionOf(kind: Pick<WatchedKind, "group" | "version">): string {
  return kind.group === "" ? kind.version : `${kind.group}/${kind.version}`;
}

/**
 * The collection URL path of a kind: across all namespaces when `namespace` is
 * absent, or inside one namespace.
 */
export function kindPath(
  kind: Pick<WatchedKind, "group" | "version" | "resource" | "namespaced">,
  namespace?: string,
): string {
  const prefix = kind.group === "" ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`;
  const ns = kind.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  return `${prefix}${ns}/${kind.resource}`;
}

/** The URL path of one object (`…/namespaces/<ns>/<resource>/<name>`). */
export function objectPath(
  kind: Pick<WatchedKind, "group" | "version" | "resource" | "namespaced">,
  namespace: string | undefined,
  name: string,
): string {
  return `${kindPath(kind, namespace)}/${encodeURIComponent(name)}`;
}
