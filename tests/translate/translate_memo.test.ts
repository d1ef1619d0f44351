/**
 * Incremental translation equals translation from scratch: every golden
 * scenario, then a random sequence of changes to it (fixed seeds), each
 * snapshot translated with a memo carried along and without one. Problems are
 * compared as a set: those of objects other than a route may come in another
 * order (see `translate_memo.ts`).
 */
import { assert, assertEquals } from "@std/assert";
import { translate } from "../../src/translate/translate.ts";
import { TranslateMemo } from "../../src/translate/translate_memo.ts";
import type { HTTPRoute } from "../../src/resources/http_route_types.ts";
import { MUTATIONS } from "./_snapshot_mutations.ts";
import { DEPENDENCY_MUTATIONS } from "./_dependency_mutations.ts";
import type { Snapshot } from "../../src/model/snapshot.ts";
import type { TranslateOptions, TranslateResult } from "../../src/model/config.ts";
import { checkStatusTrail } from "./_status_trail.ts";
import { Prng } from "../fuzz/_prng.ts";
import { DEFAULT_OPTIONS, loadSnapshot } from "./load_snapshot.ts";

const TESTDATA = new URL("./testdata/", import.meta.url);
const STEPS = 30;
const ALL_MUTATIONS = { ...MUTATIONS, ...DEPENDENCY_MUTATIONS };

function comparable(result: TranslateResult) {
  const problems = result.problems.map((p) => JSON.stringify(p)).sort();
  return { ...result, problems };
}

function runSequence(
  snapshot: Snapshot,
  options: TranslateOptions,
  seed: number,
): { applied: number; misses: number; routes: number; trails: number } {
  const rng = new Prng(seed);
  const memo = new TranslateMemo();
  const removed: HTTPRoute[] = [];
  const names = Object.keys(ALL_MUTATIONS);
  let current = snapshot;
  let applied = 0;
  let routes = 0;
  let trails = 0;
  let previous: TranslateResult | undefined;
  const check = (what: string) => {
    routes += current.httpRoutes.length + (current.grpcRoutes?.length ?? 0);
    const incremental = translate(current, options, memo);
    const scratch = translate(current, options);
    assertEquals(comparable(incremental), comparable(scratch), `seed ${seed}, ${what}`);
    if (checkStatusTrail(previous, incremental, `seed ${seed}, ${what}`)) trails++;
    previous = incremental;
  };
  check("first translate");
  check("same snapshot again");
  for (let step = 0; step < STEPS; step++) {
    const name = rng.pick(names);
    const next = ALL_MUTATIONS[name](current, rng, removed);
    if (next === undefined) continue;
    current = next;
    applied++;
    check(`step ${step}: ${name}`);
  }
  return { applied, misses: memo.stats().misses, routes, trails };
}

const scenarios = [...Deno.readDirSync(TESTDATA)]
  .map((e) => e.name)
  .filter((name) => name.endsWith(".in.yaml"))
  .sort();

Deno.test("incremental translate equals translate from scratch over random changes to every golden scenario", () => {
  let applied = 0;
  let misses = 0;
  let routes = 0;
  let trails = 0;
  scenarios.forEach((file, index) => {
    const { snapshot, options } = loadSnapshot(
      Deno.readTextFileSync(new URL(file, TESTDATA)),
      (path) => Deno.readTextFileSync(new URL(path, TESTDATA)),
    );
    for (const seed of [1, 2]) {
      const run = runSequence(snapshot, options, seed * 1000 + index);
      applied += run.applied;
      misses += run.misses;
      routes += run.routes;
      trails += run.trails;
    }
  });
  assert(applied > scenarios.length * 20, `only ${applied} changes applied`);
  assert(trails > applied / 2, `only ${trails} of ${applied} results said which statuses changed`);
  assert(
    misses * 2 < routes,
    `${misses} routes compiled over ${routes} translated: too little reuse`,
  );
});

Deno.test("an unchanged route is compiled once, however many translates follow", () => {
  const file = scenarios.find((f) => f.includes("httproute"))!;
  const { snapshot, options } = loadSnapshot(
    Deno.readTextFileSync(new URL(file, TESTDATA)),
    (path) => Deno.readTextFileSync(new URL(path, TESTDATA)),
  );
  const memo = new TranslateMemo();
  const first = translate(snapshot, options, memo);
  const compiled = memo.stats().misses;
  assert(compiled > 0);
  const second = translate({ ...snapshot, httpRoutes: [...snapshot.httpRoutes] }, options, memo);
  assertEquals(memo.stats().misses, compiled, "no route is compiled again");
  assert(first.config.rules === second.config.rules, "the rule map itself is reused");
  const routeStatuses = (r: TranslateResult) => r.statuses.filter((s) => s.kind === "HTTPRoute");
  assert(routeStatuses(first).length > 0);
  assert(
    routeStatuses(first).every((s, i) => s === routeStatuses(second)[i]),
    "the same status objects: the status writer skips them by identity",
  );
  const reordered = { ...snapshot, services: [...snapshot.services].reverse() };
  translate(reordered, options, memo);
  assertEquals(memo.stats().misses, compiled, "the same Services in another order change nothing");
});

/** A Gateway, two Services with a slice each, three routes to each Service, a Secret nobody uses. */
function twoServices(): Snapshot {
  const docs = [
    `{apiVersion: gateway.networking.k8s.io/v1, kind: GatewayClass, metadata: {name: serval},
      spec: {controllerName: ${DEFAULT_OPTIONS.controllerName}}}`,
    `{apiVersion: gateway.networking.k8s.io/v1, kind: Gateway, metadata: {name: gw, namespace: infra},
      spec: {gatewayClassName: serval, listeners: [{name: http, port: 80, protocol: HTTP,
      allowedRoutes: {namespaces: {from: All}}}]}}`,
    `{apiVersion: v1, kind: Secret, metadata: {name: unused, namespace: infra}, type: kubernetes.io/tls,
      data: {tls.crt: "", tls.key: ""}}`,
  ];
  for (const svc of ["a", "b"]) {
    docs.push(
      `{apiVersion: v1, kind: Service, metadata: {name: ${svc}, namespace: app},
        spec: {ports: [{name: http, port: 80}]}}`,
      `{apiVersion: discovery.k8s.io/v1, kind: EndpointSlice, addressType: IPv4,
        metadata: {name: ${svc}-1, namespace: app, labels: {kubernetes.io/service-name: ${svc}}},
        ports: [{name: http, port: 8080}], endpoints: [{addresses: [10.0.0.1]}]}`,
    );
    for (let i = 0; i < 3; i++) {
      docs.push(
        `{apiVersion: gateway.networking.k8s.io/v1, kind: HTTPRoute,
          metadata: {name: ${svc}-${i}, namespace: app},
          spec: {parentRefs: [{name: gw, namespace: infra}], hostnames: [${svc}${i}.example.com],
          rules: [{backendRefs: [{name: ${svc}, port: 80}]}]}}`,
      );
    }
  }
  return loadSnapshot(docs.join("\n---\n"), () => "").snapshot;
}

Deno.test("a changed Service or EndpointSlice compiles again only the routes to it; a Secret nobody reads, none", () => {
  const options = DEFAULT_OPTIONS;
  const memo = new TranslateMemo();
  let snapshot = twoServices();
  translate(snapshot, options, memo);
  assertEquals(memo.stats().misses, 6);
  const replaceFirst = <K extends "services" | "endpointSlices" | "secrets">(
    kind: K,
    edit: (object: Snapshot[K][number]) => void,
  ) => {
    const list = [...snapshot[kind]];
    const changed = structuredClone(list[0]);
    edit(changed);
    list[0] = changed;
    snapshot = { ...snapshot, [kind]: list };
    const incremental = translate(snapshot, options, memo);
    assertEquals(comparable(incremental), comparable(translate(snapshot, options)));
    return memo.stats().misses;
  };
  assertEquals(replaceFirst("services", (s) => s.metadata.labels = { v: "2" }), 9);
  assertEquals(replaceFirst("endpointSlices", (s) => s.endpoints = []), 12);
  assertEquals(replaceFirst("secrets", (s) => s.data = { "tls.crt": "eA==" }), 12);
});
