/**
 * The resources the fake API server serves, written out independently of the
 * gateway's own `WATCHED_KINDS` so a wrong path on either side fails a test.
 * @module
 */

/** One served resource. */
export interface FakeResource {
  /** `<group>/<version>/<plural>`; the core group is `""` (`/v1/services`). */
  id: string;
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  /** Built-in kinds' list items come without `kind`/`apiVersion` (CRDs keep them). */
  builtin: boolean;
}

const table: [string, string, string, string, boolean, boolean][] = [
  ["gateway.networking.k8s.io", "v1", "gatewayclasses", "GatewayClass", false, false],
  ["gateway.networking.k8s.io", "v1", "gateways", "Gateway", true, false],
  ["gateway.networking.k8s.io", "v1", "httproutes", "HTTPRoute", true, false],
  ["gateway.networking.k8s.io", "v1", "grpcroutes", "GRPCRoute", true, false],
  ["gateway.networking.k8s.io", "v1", "tlsroutes", "TLSRoute", true, false],
  ["gateway.networking.k8s.io", "v1", "listenersets", "ListenerSet", true, false],
  ["gateway.networking.k8s.io", "v1beta1", "referencegrants", "ReferenceGrant", true, false],
  ["gateway.networking.k8s.io", "v1", "backendtlspolicies", "BackendTLSPolicy", true, false],
  ["", "v1", "services", "Service", true, true],
  ["", "v1", "namespaces", "Namespace", false, true],
  ["", "v1", "secrets", "Secret", true, true],
  ["", "v1", "configmaps", "ConfigMap", true, true],
  ["discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true, true],
  ["coordination.k8s.io", "v1", "leases", "Lease", true, true],
];

/** Every resource the fake serves. */
export const FAKE_RESOURCES: readonly FakeResource[] = table.map((
  [group, version, plural, kind, namespaced, builtin],
) => ({ id: `${group}/${version}/${plural}`, group, version, plural, kind, namespaced, builtin }));

/** `apiVersion` of a resource's objects. */
export function apiVersionOf(r: FakeResource): string {
  return r.group === "" ? r.version : `${r.group}/${r.version}`;
}

/** The resource of an object by its `apiVersion` and `kind`. */
export function resourceOf(apiVersion: string, kind: string): FakeResource {
  const found = FAKE_RESOURCES.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
  if (!found) throw new Error(`Cannot find fake resource: ${apiVersion} ${kind}`);
  return found;
}

/** A parsed request path. */
export interface ParsedPath {
  resource: FakeResource;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** Parses `/api/v1/...` and `/apis/<group>/<version>/...`; undefined when not a resource path. */
export function parsePath(pathname: string): ParsedPath | undefined {
  const parts = pathname.split("/").filter((p) => p !== "").map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === "api" && parts.length >= 3) {
    [group, version, rest] = ["", parts[1], parts.slice(2)];
  } else if (parts[0] === "apis" && parts.length >= 4) {
    [group, version, rest] = [parts[1], parts[2], parts.slice(3)];
  } else {
    return undefined;
  }
  const find = (plural: string) =>
    FAKE_RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) {
    const inner = find(rest[2]);
    if (inner?.namespaced) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
  }
  const resource = find(rest[0]);
  if (!resource) return undefined;
  return { resource, namespace, name: rest[1], subresource: rest[2] };
}
