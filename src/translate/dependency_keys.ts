/**
 * Names for what a part of translate read from the snapshot, so that a
 * change to one object finds the parts built from it: each lookup through
 * the context records the key of what it asked for (found or not) while a
 * recorder is set (`TranslateContext.reads`), and a changed object names the
 * keys it answers for ({@linkcode changedKeys}). A compiled route that read
 * `Service/shop/web` is compiled again when that Service changes, and only
 * then.
 * @module
 */
import type { KubeObject } from "../resources/object_meta.ts";

/** A Service, by namespace and name. */
export function serviceKey(namespace: string, name: string): string {
  return `Service/${namespace}/${name}`;
}

/** The EndpointSlices of one Service (labelled `kubernetes.io/service-name`). */
export function slicesKey(namespace: string, service: string): string {
  return `EndpointSlice/${namespace}/${service}`;
}

/** A Secret, by namespace and name. */
export function secretKey(namespace: string, name: string): string {
  return `Secret/${namespace}/${name}`;
}

/** A ConfigMap, by namespace and name. */
export function configMapKey(namespace: string, name: string): string {
  return `ConfigMap/${namespace}/${name}`;
}

/** Every ReferenceGrant of a namespace (grants live in the namespace they open). */
export function grantsKey(namespace: string): string {
  return `ReferenceGrant/${namespace}`;
}

/** A namespace's labels. */
export function namespaceKey(name: string): string {
  return `Namespace/${name}`;
}

/**
 * The BackendTLSPolicies as a whole (and the CA bundles they name): a
 * backend's TLS settings come from whichever policy wins its Service.
 */
export const BACKEND_TLS_POLICIES = "BackendTLSPolicy";

/**
 * The Gateways' backend client certificates: a route with TLS backends
 * carries the certificate of a Gateway it attached to.
 */
export const GATEWAY_CLIENT_CERTIFICATES = "Gateway/client-certificate";

const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

/**
 * The keys a changed object of snapshot list `kind` answers for; `undefined`
 * for kinds whose change reaches every listener (Gateways, classes,
 * ListenerSets) or that are not known here.
 */
export function changedKeys(kind: string, object: KubeObject): string[] | undefined {
  const namespace = object.metadata.namespace ?? "default";
  const name = object.metadata.name;
  switch (kind) {
    case "services":
      return [serviceKey(namespace, name)];
    case "endpointSlices": {
      const owner = object.metadata.labels?.[SERVICE_NAME_LABEL];
      return owner === undefined ? [] : [slicesKey(namespace, owner)];
    }
    case "secrets":
      return [secretKey(namespace, name)];
    case "configMaps":
      return [configMapKey(namespace, name), BACKEND_TLS_POLICIES];
    case "referenceGrants":
      return [grantsKey(namespace)];
    case "namespaces":
      return [namespaceKey(name)];
    case "backendTLSPolicies":
      return [BACKEND_TLS_POLICIES];
    default:
      return undefined;
  }
}
