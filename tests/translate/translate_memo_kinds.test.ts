/**
 * Incremental translate equals translate from scratch where HTTPRoutes and
 * GRPCRoutes compete for hostnames on shared listeners (the older keeps a
 * listener, `attach_routes.ts`): random routes of both kinds over a few
 * hostnames and ages, then random changes to them (fixed seeds).
 */
import { assert, assertEquals } from "@std/assert";
import { translate } from "../../src/translate/translate.ts";
import { TranslateMemo } from "../../src/translate/translate_memo.ts";
import type { Snapshot } from "../../src/model/snapshot.ts";
import type { TranslateResult } from "../../src/model/config.ts";
import type { GRPCRoute } from "../../src/resources/grpc_route_types.ts";
import type { HTTPRoute } from "../../src/resources/http_route_types.ts";
import { checkStatusTrail } from "./_status_trail.ts";
import { Prng } from "../fuzz/_prng.ts";
import { DEFAULT_OPTIONS, loadSnapshot } from "./load_snapshot.ts";

const HOSTS = ["a.example.com", "b.example.com", "*.example.com", "c.example.org"];

const BASE = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: serval}
spec: {controllerName: ${DEFAULT_OPTIONS.controllerName}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: serval
  listeners:
  - {name: any, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
  - {name: wild, port: 80, protocol: HTTP, hostname: "*.example.com", allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: app}
spec: {ports: [{name: http, port: 80}]}
`;

function hostnames(rng: Prng): string[] | undefined {
  if (rng.chance(0.2)) return undefined;
  return [...new Set([rng.pick(HOSTS), rng.pick(HOSTS)])];
}

function created(rng: Prng): string {
  return new Date(Date.UTC(2026, 0, 1 + rng.int(4))).toISOString();
}

function parentRefs(rng: Prng) {
  return [{ name: "gw", namespace: "infra", ...(rng.chance(0.3) ? { sectionName: "wild" } : {}) }];
}

function httpRoute(rng: Prng, name: string): HTTPRoute {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name, namespace: "app", creationTimestamp: created(rng) },
    spec: {
      parentRefs: parentRefs(rng),
      hostnames: hostnames(rng),
      rules: [{ backendRefs: [{ name: "web", port: 80 }] }],
    },
  };
}

function grpcRoute(rng: Prng, name: string): GRPCRoute {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "GRPCRoute",
    metadata: { name, namespace: rng.pick(["app", "other"]), creationTimestamp: created(rng) },
    spec: {
      parentRefs: parentRefs(rng),
      hostnames: hostnames(rng),
      rules: [{ backendRefs: [{ name: "web", namespace: "app", port: 80 }] }],
    },
  };
}

/** One random change: a route of either kind comes, goes or takes other hostnames. */
function change(s: Snapshot, rng: Prng, step: number): Snapshot {
  const grpc = rng.chance(0.5);
  const list: (HTTPRoute | GRPCRoute)[] = grpc ? [...(s.grpcRoutes ?? [])] : [...s.httpRoutes];
  const what = rng.int(3);
  if (what === 0 || list.length === 0) {
    list.push(grpc ? grpcRoute(rng, `g${step}`) : httpRoute(rng, `h${step}`));
  } else if (what === 1) {
    list.splice(rng.int(list.length), 1);
  } else {
    const i = rng.int(list.length);
    const route = structuredClone(list[i]);
    route.spec.hostnames = hostnames(rng);
    if (rng.chance(0.3)) route.spec.parentRefs = parentRefs(rng);
    list[i] = route;
  }
  return grpc
    ? { ...s, grpcRoutes: list as GRPCRoute[] }
    : { ...s, httpRoutes: list as HTTPRoute[] };
}

function comparable(result: TranslateResult) {
  return { ...result, problems: result.problems.map((p) => JSON.stringify(p)).sort() };
}

Deno.test("incremental translate equals translate from scratch while HTTPRoutes and GRPCRoutes compete for hostnames", () => {
  const base = loadSnapshot(BASE, () => "").snapshot;
  let conflicts = 0;
  let trails = 0;
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const rng = new Prng(seed);
    let snapshot: Snapshot = {
      ...base,
      httpRoutes: Array.from({ length: 8 }, (_, i) => httpRoute(rng, `h-${i}`)),
      grpcRoutes: Array.from({ length: 4 }, (_, i) => grpcRoute(rng, `g-${i}`)),
    };
    const memo = new TranslateMemo();
    let previous: TranslateResult | undefined;
    for (let step = 0; step < 60; step++) {
      const incremental = translate(snapshot, DEFAULT_OPTIONS, memo);
      const scratch = translate(snapshot, DEFAULT_OPTIONS);
      assertEquals(comparable(incremental), comparable(scratch), `seed ${seed}, step ${step}`);
      if (checkStatusTrail(previous, incremental, `seed ${seed}, step ${step}`)) trails++;
      previous = incremental;
      if (JSON.stringify(scratch.statuses).includes("cannot share a hostname")) conflicts++;
      snapshot = change(snapshot, rng, step);
    }
  }
  assert(conflicts > 50, `only ${conflicts} translates saw a conflict`);
  assert(trails > 200, `only ${trails} translates said which statuses changed`);
});
