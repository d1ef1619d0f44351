/**
 * One change of each kind to the synthetic snapshot of `translate_bench.ts`,
 * the way a watch delivers it (a new version of one object, the rest of the
 * lists the same objects): what `translate --changes` times per kind. Each
 * change flips between two versions, so every step is a real change.
 * @module
 */
import type { Snapshot } from "../src/model/snapshot.ts";

/** Builds the `step`th version of the snapshot for one kind of change. */
export type Change = (snapshot: Snapshot, step: number) => Snapshot;

function replaced<T>(list: readonly T[], i: number, item: T): T[] {
  const out = [...list];
  out[i] = item;
  return out;
}

const clone = <T>(value: T): T => structuredClone(value) as T;

/** The changes, by kind. */
export const CHANGES: Record<string, Change> = {
  HTTPRoute: (s, step) => {
    const i = (step * 7919) % s.httpRoutes.length;
    const route = clone(s.httpRoutes[i]);
    const match = route.spec.rules![0].matches![0];
    match.path = { type: "PathPrefix", value: `/changed/${step}` };
    return { ...s, httpRoutes: replaced(s.httpRoutes, i, route) };
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
  GatewayClass: (s, step) => {
    const gatewayClass = clone(s.gatewayClasses[0]);
    gatewayClass.spec = { ...gatewayClass.spec, description: `d${step}` };
    return { ...s, gatewayClasses: replaced(s.gatewayClasses, 0, gatewayClass) };
  },
};
