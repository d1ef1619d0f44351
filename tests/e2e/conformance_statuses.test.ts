/**
 * Conformance expectations on statuses, read from `/config` of the real
 * gateway process: GatewayClass and Gateway conditions, listener
 * `supportedKinds`, `attachedRoutes` (GatewayWithAttachedRoutes, also on a
 * listener whose certificate is missing), invalid route kinds
 * (GatewayInvalidRouteKind), `observedGeneration`, and the HTTPRoute parent
 * entries a controller writes.
 */
import { assertEquals } from "@std/assert";
import {
  conditionSummary,
  type ConfigDump,
  eventually,
  GATEWAY_CLASS_YAML,
  INFRA,
  serviceYaml,
  startFixture,
  statusOf,
} from "./_conformance.ts";

const V1 = "infra-backend-v1";
const SELECT_INFRA =
  `{ kinds: [{ kind: HTTPRoute }], namespaces: { from: Selector, selector: { matchLabels: { kubernetes.io/metadata.name: ${INFRA} } } } }`;

function gateway(name: string, listeners: string, generation = 1): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: ${name}, namespace: ${INFRA}, generation: ${generation} }
spec:
  gatewayClassName: conformance
  listeners:
${listeners.replace(/^/gm, "    ").trimEnd()}
`;
}

function route(name: string, parent: string, extra = "", backend = V1, generation = 1): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: ${INFRA}, generation: ${generation} }
spec:
  parentRefs: [{ kind: Gateway, name: ${parent}, namespace: ${INFRA}${extra} }]
  rules:
    - backendRefs: [{ name: ${backend}, port: 8080 }]
`;
}

type Listener = NonNullable<ConfigDump["statuses"][number]["status"]["listeners"]>[number];

/** name, attachedRoutes, supportedKinds kinds, and `type=status` of the conditions. */
function listenerSummary(l: Listener): [string, number, string[], string[]] {
  return [
    l.name,
    l.attachedRoutes,
    (l.supportedKinds ?? []).map((k) => `${k.group ?? ""}/${k.kind}`),
    // The suite looks conditions up by type: their order is not part of the contract.
    conditionSummary(l.conditions).map((c) => c.split("/")[0]).sort(),
  ];
}

const HTTP_OK = ["Accepted=True", "Conflicted=False", "Programmed=True", "ResolvedRefs=True"];
const KIND = ["gateway.networking.k8s.io/HTTPRoute"];

Deno.test("conformance: Gateway, listener and route statuses", async (t) => {
  await using f = await startFixture({
    gatewayPorts: 6,
    backends: [`${INFRA}/${V1}`],
    manifests: ([one, two, tls, a, b, kinds], backendPort) => ({
      "class.yaml": GATEWAY_CLASS_YAML,
      "services.yaml": serviceYaml(INFRA, V1, backendPort(`${INFRA}/${V1}`)),
      "gateways.yaml": [
        gateway(
          "gateway-with-one-attached-route",
          `- { name: http, port: ${one}, protocol: HTTP, allowedRoutes: ${SELECT_INFRA} }`,
        ),
        gateway(
          "gateway-with-two-attached-routes",
          `- { name: http, port: ${two}, protocol: HTTP, hostname: foo.example.com, allowedRoutes: ${SELECT_INFRA} }`,
        ),
        gateway(
          "unresolved-gateway-with-one-attached-unresolved-route",
          `- name: tls
  port: ${tls}
  protocol: HTTPS
  allowedRoutes: ${SELECT_INFRA}
  tls: { mode: Terminate, certificateRefs: [{ group: "", kind: Secret, name: does-not-exist }] }`,
        ),
        gateway(
          "gateway-with-two-listeners-and-one-attached-route",
          `- { name: http-unattached, port: ${a}, protocol: HTTP, allowedRoutes: { kinds: [{ kind: HTTPRoute }], namespaces: { from: All } } }
- { name: http, port: ${b}, protocol: HTTP, allowedRoutes: { kinds: [{ kind: HTTPRoute }], namespaces: { from: All } } }`,
        ),
        gateway(
          "gateway-only-invalid-route-kind",
          `- { name: http, port: ${kinds}, protocol: HTTP, allowedRoutes: { namespaces: { from: All }, kinds: [{ kind: InvalidRoute }] } }`,
        ),
        gateway(
          "gateway-supported-and-invalid-route-kind",
          `- { name: http, port: ${kinds}, protocol: HTTP, hostname: other.example, allowedRoutes: { namespaces: { from: All }, kinds: [{ kind: InvalidRoute }, { kind: HTTPRoute }] } }`,
        ),
      ].join("---\n"),
      "routes.yaml": [
        route("http-route-1", "gateway-with-one-attached-route"),
        route("http-route-2", "gateway-with-two-attached-routes"),
        route("http-route-3", "gateway-with-two-attached-routes"),
        route(
          "http-route-not-accepted",
          "gateway-with-two-attached-routes",
          "",
        ).replace("  rules:", '  hostnames: ["not-accepted.test.com"]\n  rules:'),
        route(
          "http-route-4",
          "unresolved-gateway-with-one-attached-unresolved-route",
          ", sectionName: tls",
          "does-not-exist",
        ),
        route(
          "http-route-4-port-8080",
          "gateway-with-two-listeners-and-one-attached-route",
          ", sectionName: http",
        ),
      ].join("---\n"),
    }),
  });
  const config = await f.config();
  const listeners = (name: string) =>
    (statusOf(config, "Gateway", INFRA, name).listeners ?? []).map(listenerSummary);

  await t.step("GatewayClass and Gateways are Accepted and Programmed", () => {
    const gatewayClass = conditionSummary(
      statusOf(config, "GatewayClass", "", "conformance").conditions,
    );
    assertEquals(gatewayClass.includes("Accepted=True/Accepted"), true, String(gatewayClass));
    const gw = statusOf(config, "Gateway", INFRA, "gateway-with-one-attached-route");
    assertEquals(conditionSummary(gw.conditions), [
      "Accepted=True/Accepted",
      "Programmed=True/Programmed",
    ]);
  });

  await t.step("GatewayWithAttachedRoutes: attachedRoutes counts Accepted routes", () => {
    assertEquals(listeners("gateway-with-one-attached-route"), [["http", 1, KIND, HTTP_OK]]);
    assertEquals(listeners("gateway-with-two-attached-routes"), [["http", 2, KIND, HTTP_OK]]);
    assertEquals(
      conditionSummary(
        statusOf(config, "HTTPRoute", INFRA, "http-route-not-accepted").parents?.[0].conditions,
      )[0],
      "Accepted=False/NoMatchingListenerHostname",
    );
    assertEquals(listeners("gateway-with-two-listeners-and-one-attached-route"), [
      ["http-unattached", 0, KIND, HTTP_OK],
      ["http", 1, KIND, HTTP_OK],
    ]);
  });

  await t.step("attachedRoutes is set even on a listener with unresolved refs", () => {
    const [[name, attached, kinds, conditions]] = listeners(
      "unresolved-gateway-with-one-attached-unresolved-route",
    );
    assertEquals([name, attached, kinds], ["tls", 1, KIND]);
    assertEquals(conditions.includes("Programmed=False"), true, String(conditions));
    assertEquals(conditions.includes("ResolvedRefs=False"), true, String(conditions));
    const parents = statusOf(config, "HTTPRoute", INFRA, "http-route-4").parents ?? [];
    assertEquals(
      conditionSummary(parents[0]?.conditions).some((c) => c.startsWith("ResolvedRefs=False")),
      true,
    );
  });

  await t.step("GatewayInvalidRouteKind: ResolvedRefs=False/InvalidRouteKinds", () => {
    const [only] =
      statusOf(config, "Gateway", INFRA, "gateway-only-invalid-route-kind").listeners ?? [];
    assertEquals(only.supportedKinds, []);
    assertEquals(only.attachedRoutes, 0);
    assertEquals(
      conditionSummary(only.conditions).includes("ResolvedRefs=False/InvalidRouteKinds"),
      true,
      String(conditionSummary(only.conditions)),
    );
    const [mixed] =
      statusOf(config, "Gateway", INFRA, "gateway-supported-and-invalid-route-kind").listeners ??
        [];
    assertEquals(mixed.supportedKinds?.map((k) => k.kind), ["HTTPRoute"]);
    assertEquals(
      conditionSummary(mixed.conditions).includes("ResolvedRefs=False/InvalidRouteKinds"),
      true,
      String(conditionSummary(mixed.conditions)),
    );
  });

  await t.step("observedGeneration follows metadata.generation", async () => {
    const gwText = (generation: number) =>
      gateway(
        "gateway-with-one-attached-route",
        `- { name: http, port: ${f.ports[0]}, protocol: HTTP, allowedRoutes: ${SELECT_INFRA} }`,
        generation,
      );
    const text = await Deno.readTextFile(`${f.dir}/gateways.yaml`);
    await f.write("gateways.yaml", text.replace(gwText(1), gwText(2)));
    const routes = await Deno.readTextFile(`${f.dir}/routes.yaml`);
    await f.write(
      "routes.yaml",
      routes.replace(
        route("http-route-1", "gateway-with-one-attached-route"),
        route("http-route-1", "gateway-with-one-attached-route", "", V1, 7),
      ),
    );
    const why = await eventually(async () => {
      const now = await f.config();
      const gw = statusOf(now, "Gateway", INFRA, "gateway-with-one-attached-route");
      const gens = [
        ...(gw.conditions ?? []).map((c) =>
          (c as { observedGeneration?: number }).observedGeneration
        ),
        ...(gw.listeners ?? []).flatMap((l) =>
          l.conditions.map((c) => (c as { observedGeneration?: number }).observedGeneration)
        ),
      ];
      const routeGens = (statusOf(now, "HTTPRoute", INFRA, "http-route-1").parents ?? []).flatMap((
        p,
      ) => p.conditions.map((c) => (c as { observedGeneration?: number }).observedGeneration));
      return gens.every((g) => g === 2) && routeGens.every((g) => g === 7) && routeGens.length > 0
        ? undefined
        : `gateway ${gens}, route ${routeGens}`;
    });
    assertEquals(why, undefined);
  });
});
