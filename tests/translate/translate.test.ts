import { assert, assertEquals, assertThrows } from "@std/assert";
import { translate } from "../../src/translate/translate.ts";
import { deepFreeze } from "../../src/translate/deep_freeze.ts";
import type { Snapshot } from "../../src/model/snapshot.ts";
import { loadSnapshot } from "./load_snapshot.ts";
import { ruleMapOf } from "../../src/model/rule_map.ts";

const TESTDATA = new URL("./testdata/", import.meta.url);

function load(name: string) {
  return loadSnapshot(
    Deno.readTextFileSync(new URL(`${name}.in.yaml`, TESTDATA)),
    (path) => Deno.readTextFileSync(new URL(path, TESTDATA)),
  );
}

function reversed(snapshot: Snapshot): Snapshot {
  const out: Record<string, unknown[]> = {};
  for (const [key, list] of Object.entries(snapshot)) out[key] = [...(list as unknown[])].reverse();
  return out as unknown as Snapshot;
}

Deno.test("the result is deeply frozen", () => {
  const { snapshot, options } = load(
    "gateway-https-listener-with-a-valid-certificate-is-programmed",
  );
  const result = translate(snapshot, options);
  assert(Object.isFrozen(result));
  assert(Object.isFrozen(result.config.ports[0].listeners[0].virtualHosts[0].matches[0].path));
  assert(Object.isFrozen(result.certificates[0]));
  assert(Object.isFrozen(result.statuses[0].status.conditions));
  assertThrows(() => {
    (result.config.ports as unknown as unknown[]).push({});
  });
});

Deno.test("translate neither mutates nor needs to mutate its input", () => {
  const { snapshot, options } = load("httproute-precedence-orders-matches-across-two-routes");
  const before = JSON.stringify(snapshot);
  const first = translate(snapshot, options);
  assertEquals(JSON.stringify(snapshot), before);
  const frozen = deepFreeze(structuredClone(snapshot));
  assertEquals(translate(frozen, options), first);
});

Deno.test("the order of objects in the snapshot does not change the result", () => {
  for (
    const name of [
      "httproute-precedence-orders-matches-across-two-routes",
      "gateway-listeners-of-several-gateways-share-a-port",
      "httproute-endpoint-slice-port-is-found-by-service-port-name",
      "gateway-allowed-routes-selector-matches-namespace-labels",
    ]
  ) {
    const { snapshot, options } = load(name);
    assertEquals(translate(reversed(snapshot), options), translate(snapshot, options), name);
  }
});

Deno.test("private key bytes appear only in certificates[].keyPem", () => {
  for (
    const name of [
      "gateway-https-listener-with-a-valid-certificate-is-programmed",
      "gateway-https-listener-with-a-key-not-matching-the-certificate-is-unresolved",
      "gateway-https-listener-with-a-malformed-certificate-stops-only-that-listener",
    ]
  ) {
    const { snapshot, options } = load(name);
    const result = translate(snapshot, options);
    const visible = JSON.stringify({
      config: result.config,
      statuses: result.statuses,
      problems: result.problems,
    });
    assertEquals(visible.includes("PRIVATE KEY"), false, name);
    for (const file of ["example.key", "other.key"]) {
      const keyPem = Deno.readTextFileSync(new URL(`certs/${file}`, TESTDATA));
      const lines = keyPem.split("\n").filter((l) => l.length > 8 && !l.startsWith("-----"));
      assert(lines.length > 0);
      for (const line of lines) assertEquals(visible.includes(line), false, name);
    }
  }
});

Deno.test("a route parented to our Gateway and another controller's lists only our parent", () => {
  const { snapshot, options } = load("httproute-routes-all-paths-to-a-service");
  const route = snapshot.httpRoutes[0];
  const withTwoParents: Snapshot = {
    ...snapshot,
    gatewayClasses: [
      ...snapshot.gatewayClasses,
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "GatewayClass",
        metadata: { name: "other" },
        spec: { controllerName: "example.com/other" },
      },
    ],
    gateways: [
      ...snapshot.gateways,
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        metadata: { name: "theirs", namespace: "infra" },
        spec: {
          gatewayClassName: "other",
          listeners: [{ name: "http", port: 80, protocol: "HTTP" }],
        },
      },
    ],
    httpRoutes: [{
      ...route,
      spec: {
        ...route.spec,
        parentRefs: [{ name: "theirs", namespace: "infra" }, ...route.spec.parentRefs!],
      },
    }],
  };
  const result = translate(withTwoParents, options);
  const status = result.statuses.find((s) => s.kind === "HTTPRoute");
  const parents = status?.status.parents as { parentRef: { name: string } }[];
  assertEquals(parents.map((p) => p.parentRef.name), ["gw"]);
  assertEquals(result.statuses.filter((s) => s.kind === "Gateway").map((s) => s.name), ["gw"]);
});

Deno.test("an empty snapshot gives an empty config and no statuses", () => {
  const result = translate(
    {
      gatewayClasses: [],
      gateways: [],
      httpRoutes: [],
      referenceGrants: [],
      services: [],
      endpointSlices: [],
      secrets: [],
      namespaces: [],
    },
    { controllerName: "gateway.serval.dev/controller" },
  );
  assertEquals(result, {
    config: { ports: [], rules: ruleMapOf() },
    certificates: [],
    statuses: [],
    problems: [],
  });
});
