/**
 * One change of each kind to the synthetic snapshot of `translate_bench.ts`,
 * the way a watch delivers it (a new version of one object, the rest of the
 * lists the same objects): what `translate --changes` times per kind. Each
 * change flips between two versions, so every step is a real change.
 * @module
 */
import type { Snapshot } from "../src/model/snapshot.ts";
import type { GRPCRoute } from "../src/resources/grpc_route_types.ts";
import { withListTrail } from "../src/model/list_trail.ts";

/** Builds the `step`th version of the snapshot for one kind of change. */
export type Change = (snapshot: Snapshot, step: number) => Snapshot;

/**
 * `list` with `item` in place of its `i`th object, frozen and saying so
 * (`model/list_trail.ts`), as the store's lists do.
 */
function replaced<T>(list: readonly T[], i: number, item: T): readonly T[] {
  const out = [...list];
  out[i] = item;
  return Object.freeze(withListTrail(out, { since: list, gone: [list[i]], upserts: [item] }));
}

const clone = <T>(value: T): T => structuredClone(value) as T;

/** `count` GRPCRoutes, each on a hostname of its own, to the first Service. */
function grpcRoutes(s: Snapshot, count: number): GRPCRoute[] {
  const service = s.services[0];
  return Array.from({ length: count }, (_, i) => ({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "GRPCRoute",
    metadata: { name: `grpc-${i}`, namespace: service.metadata.namespace, generation: 1 },
    spec: {
      parentRefs: [{ name: "gw", namespace: "infra" }],
      hostnames: [`grpc-${i}.example.org`],
      rules: [{
        matches: [{ method: { service: `svc.V${i}`, method: "Get" } }],
        backendRefs: [{ name: service.metadata.name, port: 80 }],
      }],
    },
  }));
}

/** `s` with 20 GRPCRoutes beside its HTTPRoutes (added by the first change). */
function withGrpc(s: Snapshot): Snapshot {
  return (s.grpcRoutes?.length ?? 0) > 0 ? s : { ...s, grpcRoutes: grpcRoutes(s, 20) };
}

/** `s` with a BackendTLSPolicy on the first Service (added by the first change). */
function withPolicy(s: Snapshot): Snapshot {
  if ((s.backendTLSPolicies?.length ?? 0) > 0) return s;
  const service = s.services[0];
  return {
    ...s,
    backendTLSPolicies: [{
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "BackendTLSPolicy",
      metadata: { name: "tls", namespace: service.metadata.namespace },
      spec: {
        targetRefs: [{ group: "", kind: "Service", name: service.metadata.name }],
        validation: { wellKnownCACertificates: "System", hostname: "backend.example" },
      },
    }],
  };
}

/** The changes, by kind. */
export const CHANGES: Record<string, Change> = {
  HTTPRoute: (s, step) => {
    const i = (step * 7919) % s.httpRoutes.length;
    const route = clone(s.httpRoutes[i]);
    const match = route.spec.rules![0].matches![0];
    match.path = { type: "PathPrefix", value: `/changed/${step}` };
    return { ...s, httpRoutes: replaced(s.httpRoutes, i, route) };
  },
  // A new route (on a hostname of its own) added, then deleted, in turn.
  "HTTPRoute (add/delete)": (s, step) => {
    const routes = s.httpRoutes;
    if (step % 2 === 1) {
      const trail = { since: routes, gone: [routes.at(-1)!], upserts: [] };
      return { ...s, httpRoutes: Object.freeze(withListTrail(routes.slice(0, -1), trail)) };
    }
    const route = clone(routes[0]);
    route.metadata.name = `added-${step}`;
    route.spec.hostnames = [`added-${step}.example.org`];
    const trail = { since: routes, gone: [], upserts: [route] };
    return { ...s, httpRoutes: Object.freeze(withListTrail([...routes, route], trail)) };
  },
  Service: (s, step) => {
    const i = (step * 31) % s.services.length;
    const service = clone(s.services[i]);
    service.metadata.labels = { version: `${step}` };
    return { ...s, services: replaced(s.services, i, service) };
  },
  EndpointSlice: (s, step) => {
    const i = (step * 31) % s.endpointSlices.length;
    const slice = clone(s.endpointSlices[i]);
    slice.endpoints = [...(slice.endpoints ?? []), { addresses: [`10.250.${step % 250}.1`] }];
    return { ...s, endpointSlices: replaced(s.endpointSlices, i, slice) };
  },
  "Secret (unused)": (s, step) => {
    const i = s.secrets.findIndex((x) => x.metadata.name.startsWith("unused"));
    const secret = clone(s.secrets[i]);
    secret.data = { ...secret.data, "extra": btoa(`${step}`) };
    return { ...s, secrets: replaced(s.secrets, i, secret) };
  },
  "Secret (listener certificate)": (s, step) => {
    const i = s.secrets.findIndex((x) => x.metadata.name === "tls");
    const secret = clone(s.secrets[i]);
    secret.metadata.labels = { version: `${step}` };
    return { ...s, secrets: replaced(s.secrets, i, secret) };
  },
  ReferenceGrant: (s, step) => ({
    ...s,
    referenceGrants: step % 2 === 0 ? [] : [{
      apiVersion: "gateway.networking.k8s.io/v1beta1",
      kind: "ReferenceGrant",
      metadata: { name: "grant", namespace: "ns-3" },
      spec: {
        from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "ns-4" }],
        to: [{ group: "", kind: "Service" }],
      },
    }],
  }),
  Namespace: (s, step) => {
    const i = (step * 7) % s.namespaces.length;
    const ns = clone(s.namespaces[i]);
    ns.metadata.labels = { ...ns.metadata.labels, version: `${step}` };
    return { ...s, namespaces: replaced(s.namespaces, i, ns) };
  },
  Gateway: (s, step) => {
    const gateway = clone(s.gateways[0]);
    gateway.metadata.labels = { version: `${step}` };
    return { ...s, gateways: replaced(s.gateways, 0, gateway) };
  },
  "HTTPRoute (BackendTLSPolicy present)": (s, step) => CHANGES.HTTPRoute(withPolicy(s), step),
  "HTTPRoute (GRPCRoutes present)": (s, step) => CHANGES.HTTPRoute(withGrpc(s), step),
  GRPCRoute: (s, step) => {
    s = withGrpc(s);
    const routes = [...s.grpcRoutes!];
    const i = step % routes.length;
    const route = clone(routes[i]);
    route.spec.hostnames = [`grpc-${i}-${step}.example.org`];
    routes[i] = route;
    return { ...s, grpcRoutes: routes };
  },
  GatewayClass: (s, step) => {
    const gatewayClass = clone(s.gatewayClasses[0]);
    gatewayClass.spec = { ...gatewayClass.spec, description: `d${step}` };
    return { ...s, gatewayClasses: replaced(s.gatewayClasses, 0, gatewayClass) };
  },
};
