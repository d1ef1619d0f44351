/**
 * Random changes to what routes and listeners are built from: Services,
 * EndpointSlices, Secrets, ReferenceGrants, ConfigMaps, BackendTLSPolicies,
 * GRPCRoutes, TLSRoutes and ListenerSets, each a new version of one object
 * (or one object more or less), as a watch delivers them.
 * @module
 */
import type { Snapshot } from "../../src/model/snapshot.ts";
import type { Prng } from "../fuzz/_prng.ts";
import type { Mutation } from "./_snapshot_mutations.ts";

const clone = <T>(value: T): T => structuredClone(value) as T;

type ListKind =
  | "services"
  | "endpointSlices"
  | "secrets"
  | "referenceGrants"
  | "configMaps"
  | "backendTLSPolicies"
  | "grpcRoutes"
  | "tlsRoutes"
  | "listenerSets";

/** `s` with the `i`th object of `kind` replaced by a changed copy (`edit` may return false: no change). */
function edited<K extends ListKind>(
  s: Snapshot,
  kind: K,
  rng: Prng,
  edit: (object: NonNullable<Snapshot[K]>[number]) => boolean | void,
): Snapshot | undefined {
  const list = (s[kind] ?? []) as readonly NonNullable<Snapshot[K]>[number][];
  if (list.length === 0) return undefined;
  const i = rng.int(list.length);
  const object = clone(list[i]);
  if (edit(object) === false) return undefined;
  const out = [...list];
  out[i] = object;
  return { ...s, [kind]: out };
}

function dropped(s: Snapshot, kind: ListKind, rng: Prng): Snapshot | undefined {
  const list = (s[kind] ?? []) as readonly unknown[];
  if (list.length === 0) return undefined;
  const i = rng.int(list.length);
  return { ...s, [kind]: list.filter((_, j) => j !== i) };
}

function pickNamespace(s: Snapshot, rng: Prng): string {
  const names = [
    ...s.httpRoutes.map((r) => r.metadata.namespace ?? "default"),
    ...s.services.map((r) => r.metadata.namespace ?? "default"),
    ...s.gateways.map((g) => g.metadata.namespace ?? "default"),
  ];
  return names.length === 0 ? "default" : rng.pick(names);
}

/** The changes, by what they do. */
export const DEPENDENCY_MUTATIONS: Record<string, Mutation> = {
  "a Service's port changes": (s, rng) =>
    edited(s, "services", rng, (service) => {
      const port = service.spec.ports?.[0];
      if (port === undefined) return false;
      if (rng.chance(0.5)) port.port = port.port + 1;
      else port.appProtocol = rng.pick(["kubernetes.io/h2c", "http", "grpc"]);
    }),
  "a Service gets a new label": (s, rng) =>
    edited(s, "services", rng, (service) => {
      service.metadata.labels = { ...service.metadata.labels, v: `${rng.int(100)}` };
    }),
  "an EndpointSlice gets another endpoint": (s, rng) =>
    edited(s, "endpointSlices", rng, (slice) => {
      slice.endpoints = [...(slice.endpoints ?? []), {
        addresses: [`10.99.${rng.int(250)}.${rng.int(250)}`],
        ...(rng.chance(0.3) ? { conditions: { ready: false } } : {}),
      }];
    }),
  "a Secret's data changes": (s, rng) =>
    edited(s, "secrets", rng, (secret) => {
      const other = rng.pick(s.secrets);
      if (rng.chance(0.5)) secret.data = clone(other.data);
      else delete secret.data?.["tls.crt"];
    }),
  "a ReferenceGrant opens a namespace": (s, rng) => {
    const from = pickNamespace(s, rng);
    const to = pickNamespace(s, rng);
    return {
      ...s,
      referenceGrants: [...s.referenceGrants, {
        apiVersion: "gateway.networking.k8s.io/v1beta1",
        kind: "ReferenceGrant",
        metadata: { name: `grant-${rng.int(1000)}`, namespace: to },
        spec: {
          from: [
            { group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: from },
            { group: "gateway.networking.k8s.io", kind: "Gateway", namespace: from },
          ],
          to: [{ group: "", kind: "Service" }, { group: "", kind: "Secret" }],
        },
      }],
    };
  },
  "a ReferenceGrant changes or goes": (s, rng) =>
    rng.chance(0.5)
      ? dropped(s, "referenceGrants", rng)
      : edited(s, "referenceGrants", rng, (g) => {
        g.spec.to = g.spec.to.map((t) => ({ ...t, name: "nothing-of-that-name" }));
      }),
  "a ConfigMap's CA changes": (s, rng) =>
    edited(s, "configMaps", rng, (map) => {
      map.data = rng.chance(0.5) ? {} : { "ca.crt": rng.pick(s.secrets)?.data?.["tls.crt"] ?? "" };
    }),
  "a BackendTLSPolicy changes or goes": (s, rng) =>
    rng.chance(0.3) ? dropped(s, "backendTLSPolicies", rng) : edited(
      s,
      "backendTLSPolicies",
      rng,
      (policy) => {
        policy.spec.validation = { ...policy.spec.validation, hostname: `h${rng.int(3)}.example` };
      },
    ),
  "a GRPCRoute changes or goes": (s, rng) =>
    rng.chance(0.3) ? dropped(s, "grpcRoutes", rng) : edited(s, "grpcRoutes", rng, (route) => {
      route.spec.hostnames = rng.chance(0.5) ? undefined : [`g${rng.int(3)}.example.com`];
    }),
  "a TLSRoute changes or goes": (s, rng) =>
    rng.chance(0.3) ? dropped(s, "tlsRoutes", rng) : edited(s, "tlsRoutes", rng, (route) => {
      route.spec.hostnames = [`t${rng.int(3)}.example.com`];
    }),
  "a Gateway gets a new label or loses its backend client certificate": (s, rng) => {
    if (s.gateways.length === 0) return undefined;
    const i = rng.int(s.gateways.length);
    const gateway = clone(s.gateways[i]);
    if (rng.chance(0.5)) gateway.metadata.labels = { v: `${rng.int(100)}` };
    else if (gateway.spec.tls?.backend !== undefined) delete gateway.spec.tls.backend;
    else return undefined;
    const gateways = [...s.gateways];
    gateways[i] = gateway;
    return { ...s, gateways };
  },
  "a ListenerSet's listener changes port": (s, rng) =>
    edited(s, "listenerSets", rng, (set) => {
      const listener = set.spec.listeners[rng.int(set.spec.listeners.length)];
      if (listener === undefined) return false;
      listener.port = rng.pick([80, 443, 8080]);
    }),
};
