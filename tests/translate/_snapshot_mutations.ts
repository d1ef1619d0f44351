/**
 * Random changes to a snapshot, the way a watch makes them: routes come, go
 * and change; sometimes another object changes. For the incremental
 * translate and route table tests.
 * @module
 */
import type { HTTPRoute } from "../../src/resources/http_route_types.ts";
import type { Snapshot } from "../../src/model/snapshot.ts";
import type { Prng } from "../fuzz/_prng.ts";

/** One kind of change; `undefined` when it does not apply to this snapshot. */
export type Mutation = (
  snapshot: Snapshot,
  rng: Prng,
  removed: HTTPRoute[],
) => Snapshot | undefined;

const clone = <T>(value: T): T => structuredClone(value) as T;

function withRoutes(snapshot: Snapshot, routes: readonly HTTPRoute[]): Snapshot {
  return { ...snapshot, httpRoutes: routes };
}

function replaceAt(snapshot: Snapshot, i: number, route: HTTPRoute): Snapshot {
  const routes = [...snapshot.httpRoutes];
  routes[i] = route;
  return withRoutes(snapshot, routes);
}

/** The changes, by what they do. */
export const MUTATIONS: Record<string, Mutation> = {
  "remove a route": (s, rng, removed) => {
    if (s.httpRoutes.length === 0) return undefined;
    const i = rng.int(s.httpRoutes.length);
    removed.push(s.httpRoutes[i]);
    return withRoutes(s, s.httpRoutes.filter((_, j) => j !== i));
  },
  "bring a removed route back": (s, rng, removed) => {
    if (removed.length === 0) return undefined;
    const [route] = removed.splice(rng.int(removed.length), 1);
    if (s.httpRoutes.some((r) => r.metadata.name === route.metadata.name)) return undefined;
    return withRoutes(s, [...s.httpRoutes, route]);
  },
  "a new version of a route, same content": (s, rng) => {
    if (s.httpRoutes.length === 0) return undefined;
    const i = rng.int(s.httpRoutes.length);
    return replaceAt(s, i, clone(s.httpRoutes[i]));
  },
  "a route takes another route's hostnames": (s, rng) => {
    if (s.httpRoutes.length < 2) return undefined;
    const i = rng.int(s.httpRoutes.length);
    const other = s.httpRoutes[rng.int(s.httpRoutes.length)];
    const route = clone(s.httpRoutes[i]);
    route.spec = { ...route.spec, hostnames: clone(other.spec.hostnames) };
    return replaceAt(s, i, route);
  },
  "a route's first path changes": (s, rng) => {
    if (s.httpRoutes.length === 0) return undefined;
    const i = rng.int(s.httpRoutes.length);
    const route = clone(s.httpRoutes[i]);
    const match = route.spec.rules?.[0]?.matches?.[0];
    if (match?.path?.value === undefined || match.path.type === "RegularExpression") {
      return undefined;
    }
    match.path.value = `/changed-${rng.int(5)}`;
    return replaceAt(s, i, route);
  },
  "a copy of a route under a new name": (s, rng) => {
    if (s.httpRoutes.length === 0) return undefined;
    const route = clone(s.httpRoutes[rng.int(s.httpRoutes.length)]);
    route.metadata = { ...route.metadata, name: `${route.metadata.name}-copy${rng.int(1000)}` };
    if (s.httpRoutes.some((r) => r.metadata.name === route.metadata.name)) return undefined;
    return withRoutes(s, [...s.httpRoutes, route]);
  },
  "the routes come in another order": (s, rng) => {
    const routes = [...s.httpRoutes];
    for (let i = routes.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [routes[i], routes[j]] = [routes[j], routes[i]];
    }
    return withRoutes(s, routes);
  },
  "a Service or Secret goes away": (s, rng) => {
    const kind = rng.pick(["services", "secrets", "referenceGrants", "endpointSlices"] as const);
    const list = s[kind];
    if (list.length === 0) return undefined;
    const i = rng.int(list.length);
    return { ...s, [kind]: list.filter((_, j) => j !== i) };
  },
  "a new version of a Gateway": (s, rng) => {
    if (s.gateways.length === 0) return undefined;
    const i = rng.int(s.gateways.length);
    const gateways = [...s.gateways];
    gateways[i] = clone(gateways[i]);
    return { ...s, gateways };
  },
  "a Gateway stops admitting ListenerSets": (s, rng) => {
    const admitting = s.gateways.filter((g) => g.spec.allowedListeners !== undefined);
    if (admitting.length === 0) return undefined;
    const target = admitting[rng.int(admitting.length)];
    const gateway = clone(target);
    delete gateway.spec.allowedListeners;
    return { ...s, gateways: s.gateways.map((g) => g === target ? gateway : g) };
  },
  "a ListenerSet goes away": (s, rng) => {
    const sets = s.listenerSets ?? [];
    if (sets.length === 0) return undefined;
    const i = rng.int(sets.length);
    return { ...s, listenerSets: sets.filter((_, j) => j !== i) };
  },
  "a ListenerSet's first listener takes another hostname": (s, rng) => {
    const sets = [...(s.listenerSets ?? [])];
    if (sets.length === 0) return undefined;
    const i = rng.int(sets.length);
    const set = clone(sets[i]);
    set.spec.listeners[0].hostname = `changed-${rng.int(3)}.example.com`;
    sets[i] = set;
    return { ...s, listenerSets: sets };
  },
  "a Gateway's listener takes another hostname": (s, rng) => {
    if (s.gateways.length === 0) return undefined;
    const i = rng.int(s.gateways.length);
    const gateways = [...s.gateways];
    const gateway = clone(gateways[i]);
    const listener = gateway.spec.listeners[rng.int(gateway.spec.listeners.length)];
    if (listener === undefined) return undefined;
    listener.hostname = rng.pick([undefined, "*.example.com", `h${rng.int(3)}.example.com`]);
    gateways[i] = gateway;
    return { ...s, gateways };
  },
  "a GatewayClass gets a new description": (s, rng) => {
    if (s.gatewayClasses.length === 0) return undefined;
    const i = rng.int(s.gatewayClasses.length);
    const classes = [...s.gatewayClasses];
    const changed = clone(classes[i]);
    changed.spec = { ...changed.spec, description: `d${rng.int(100)}` };
    classes[i] = changed;
    return { ...s, gatewayClasses: classes };
  },
  "an EndpointSlice loses its endpoints": (s, rng) => {
    if (s.endpointSlices.length === 0) return undefined;
    const i = rng.int(s.endpointSlices.length);
    const slices = [...s.endpointSlices];
    slices[i] = { ...clone(slices[i]), endpoints: [] };
    return { ...s, endpointSlices: slices };
  },
  "a namespace gets a label": (s, rng) => {
    if (s.namespaces.length === 0) return undefined;
    const i = rng.int(s.namespaces.length);
    const namespaces = [...s.namespaces];
    const ns = clone(namespaces[i]);
    ns.metadata.labels = { ...ns.metadata.labels, [`l${rng.int(3)}`]: "yes" };
    namespaces[i] = ns;
    return { ...s, namespaces };
  },
  "a route moves to another namespace's Gateway": (s, rng) => {
    if (s.httpRoutes.length === 0 || s.gateways.length === 0) return undefined;
    const i = rng.int(s.httpRoutes.length);
    const gateway = rng.pick(s.gateways);
    const route = clone(s.httpRoutes[i]);
    route.spec = {
      ...route.spec,
      parentRefs: [{ name: gateway.metadata.name, namespace: gateway.metadata.namespace }],
    };
    return replaceAt(s, i, route);
  },
};
