/**
 * What the memo keeps once for many routes: status entries equal across
 * routes are one object (the result is the same as without a memo), and the
 * intern pool behind it gives back the first of equal values, bounded.
 */
import { assert, assertEquals } from "@std/assert";
import { translate } from "../../src/translate/translate.ts";
import { TranslateMemo } from "../../src/translate/translate_memo.ts";
import { InternPool } from "../../src/translate/intern_pool.ts";
import type { Snapshot } from "../../src/model/snapshot.ts";
import type { ObjectStatus, TranslateResult } from "../../src/model/config.ts";
import type { RouteParentStatus } from "../../src/resources/route_types.ts";
import { DEFAULT_OPTIONS, loadSnapshot } from "./load_snapshot.ts";
import { createContext } from "../../src/translate/context.ts";
import { compileRoute } from "../../src/translate/route_rules.ts";

/** A Gateway, a Service with a slice, `routes` HTTPRoutes to it. */
function oneService(routes: number): Snapshot {
  const docs = [
    `{apiVersion: gateway.networking.k8s.io/v1, kind: GatewayClass, metadata: {name: serval},
      spec: {controllerName: ${DEFAULT_OPTIONS.controllerName}}}`,
    `{apiVersion: gateway.networking.k8s.io/v1, kind: Gateway, metadata: {name: gw, namespace: app},
      spec: {gatewayClassName: serval, listeners: [{name: http, port: 80, protocol: HTTP}]}}`,
    `{apiVersion: v1, kind: Service, metadata: {name: web, namespace: app},
      spec: {ports: [{name: http, port: 80}]}}`,
    `{apiVersion: discovery.k8s.io/v1, kind: EndpointSlice, addressType: IPv4,
      metadata: {name: web-1, namespace: app, labels: {kubernetes.io/service-name: web}},
      ports: [{name: http, port: 8080}], endpoints: [{addresses: [10.0.0.1]}]}`,
  ];
  for (let i = 0; i < routes; i++) {
    docs.push(
      `{apiVersion: gateway.networking.k8s.io/v1, kind: HTTPRoute,
        metadata: {name: r-${i}, namespace: app, generation: 1},
        spec: {parentRefs: [{name: gw}], hostnames: [r${i}.example.com],
        rules: [{backendRefs: [{name: web, port: 80}]}]}}`,
    );
  }
  return loadSnapshot(docs.join("\n---\n"), () => "").snapshot;
}

function routeStatuses(result: TranslateResult): ObjectStatus[] {
  return result.statuses.filter((s) => s.kind === "HTTPRoute");
}

function parentsOf(status: ObjectStatus): RouteParentStatus[] {
  return (status.status as { parents: RouteParentStatus[] }).parents;
}

Deno.test("routes with equal status entries share one entry object, each with its own status", () => {
  const snapshot = oneService(4);
  const memo = new TranslateMemo();
  const result = translate(snapshot, DEFAULT_OPTIONS, memo);
  assertEquals(result, translate(snapshot, DEFAULT_OPTIONS));
  const statuses = routeStatuses(result);
  assertEquals(statuses.map((s) => s.name), ["r-0", "r-1", "r-2", "r-3"]);
  const first = parentsOf(statuses[0])[0];
  assert(statuses.every((s) => parentsOf(s)[0] === first), "one entry for the four routes");
  assert(Object.isFrozen(first));
});

Deno.test("a route at another generation gets its own entry; the others still share theirs", () => {
  const snapshot = oneService(3);
  const memo = new TranslateMemo();
  translate(snapshot, DEFAULT_OPTIONS, memo);
  const moved = structuredClone(snapshot.httpRoutes[1]);
  moved.metadata.generation = 2;
  moved.spec.hostnames = ["moved.example.com"];
  const next = { ...snapshot, httpRoutes: snapshot.httpRoutes.with(1, moved) };
  const result = translate(next, DEFAULT_OPTIONS, memo);
  assertEquals(result, translate(next, DEFAULT_OPTIONS));
  const [a, b, c] = routeStatuses(result).map((s) => parentsOf(s)[0]);
  assert(a === c, "r-0 and r-2 still share");
  assertEquals(b.conditions.map((x) => x.observedGeneration), [2, 2]);
  assertEquals(a.conditions.map((x) => x.observedGeneration), [1, 1]);
});

Deno.test("compiled routes share what most hold: no invalid rule or filter, the default match", () => {
  const snapshot = oneService(2);
  const ctx = createContext(snapshot, DEFAULT_OPTIONS);
  const [a, b] = snapshot.httpRoutes.map((route) => compileRoute(ctx, route));
  assert(a.invalidRules === b.invalidRules && a.invalidRules.length === 0);
  assert(a.resolvedRefs === b.resolvedRefs && Object.isFrozen(a.resolvedRefs));
  assertEquals(a.resolvedRefs, {
    ok: true,
    reason: "ResolvedRefs",
    message: "All references are resolved",
  });
  assertEquals(a.key, "app/r-0");
  assert(a.rules[0].matches[0].route === a.key, "the match names its route with the route's key");
  const [ma, mb] = [a.rules[0].matches[0], b.rules[0].matches[0]];
  assertEquals(ma.path, { type: "PathPrefix", value: "/" });
  assert(ma.path === mb.path && ma.headers === mb.headers && ma.queryParams === mb.queryParams);
  const [ra, rb] = [a.rules[0].config, b.rules[0].config];
  assert(ra.filters === rb.filters && ra.backends[0].filters === ra.filters);
  assertEquals(ra.backends[0].id, "service/app/web:80");
});

Deno.test("the intern pool gives back the first of equal values, and starts again past its limit", () => {
  const pool = new InternPool(2);
  const a = { v: 1 };
  assert(pool.intern("a", a) === a);
  assert(pool.intern("a", { v: 1 }) === a);
  pool.intern("b", { v: 2 });
  assertEquals(pool.size, 2);
  const c = { v: 3 };
  assert(pool.intern("c", c) === c, "a new key past the limit is kept");
  assertEquals(pool.size, 1);
  const again = { v: 1 };
  assert(pool.intern("a", again) === again, "forgotten values are kept anew");
});
