/**
 * Route and Gateway fields the upstream suite checks by status and by
 * traffic, through the real gateway process:
 *
 * - HTTPRouteNamedRouteRule (upstream HTTPRouteNamedRule): a named rule and
 *   an unnamed one in one route both serve.
 * - HTTPRouteDestinationPortMatching (upstream
 *   HTTPRouteInvalidParentRefNotMatchingListenerPort): a parentRef port no
 *   listener has is Accepted False/NoMatchingParent, with ResolvedRefs True
 *   and no route attached to the Gateway.
 * - GatewayInfrastructure: a Gateway with `spec.infrastructure` labels and
 *   annotations is Accepted and Programmed. The gateway provisions no
 *   ServiceAccount, Pod or Service, so there is nothing to propagate them to.
 *   A Gateway with an `infrastructure.parametersRef` is Accepted
 *   False/InvalidParameters (upstream GatewayInvalidParametersRef) and not served.
 */
import { assertEquals, assertRejects } from "@std/assert";
import {
  checkTable,
  conditionSummary,
  GATEWAY_CLASS_YAML,
  INFRA,
  serviceYaml,
  simpleGatewayYaml,
  startFixture,
  statusOf,
} from "./_conformance.ts";

const [V1, V2] = ["infra-backend-v1", "infra-backend-v2"];

const ROUTES = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: http-named-rules, namespace: ${INFRA} }
spec:
  parentRefs: [{ name: same-namespace }]
  rules:
    - name: named-rule
      matches: [{ path: { type: PathPrefix, value: /named } }]
      backendRefs: [{ name: ${V1}, port: 8080 }]
    - matches: [{ path: { type: PathPrefix, value: /unnamed } }]
      backendRefs: [{ name: ${V2}, port: 8080 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: httproute-listener-not-matching-route-port, namespace: ${INFRA} }
spec:
  parentRefs: [{ name: other-port, namespace: ${INFRA}, port: 81 }]
  rules:
    - backendRefs: [{ name: ${V1}, kind: Service, port: 8080 }]
`;

function infrastructureGateway(port: number): string {
  return simpleGatewayYaml("gateway-with-infrastructure-metadata", port).replace(
    "  listeners:",
    "  infrastructure:\n    annotations: { key1: value1 }\n    labels: { key2: value2 }\n  listeners:",
  );
}

Deno.test("conformance: named rules serve, an unmatched parentRef port is NoMatchingParent, infrastructure is accepted", async () => {
  await using f = await startFixture({
    gatewayPorts: 4,
    backends: [V1, V2].map((b) => `${INFRA}/${b}`),
    manifests: (ports, backendPort) => ({
      "class.yaml": GATEWAY_CLASS_YAML,
      "gateways.yaml": [
        simpleGatewayYaml("same-namespace", ports[0]),
        simpleGatewayYaml("other-port", ports[1]),
        infrastructureGateway(ports[2]),
        simpleGatewayYaml("gateway-invalid-parameters-ref", ports[3]).replace(
          "  listeners:",
          "  infrastructure:\n    parametersRef: { group: invalid.io, kind: InvalidParameters, name: invalid }\n  listeners:",
        ),
      ].join("---\n"),
      "services.yaml": [V1, V2].map((b) => serviceYaml(INFRA, b, backendPort(`${INFRA}/${b}`)))
        .join("---\n"),
      "routes.yaml": ROUTES,
    }),
  });
  await checkTable(f.ports[0], [
    { rule: "a named rule serves", path: "/named", backend: V1 },
    { rule: "an unnamed rule beside it serves", path: "/unnamed", backend: V2 },
  ]);
  await checkTable(f.ports[1], [
    { rule: "a route attached to no listener serves nothing", path: "/", status: 404 },
  ]);

  const config = await f.config();
  const named = statusOf(config, "HTTPRoute", INFRA, "http-named-rules");
  assertEquals(conditionSummary(named.parents?.[0]?.conditions), [
    "Accepted=True/Accepted",
    "ResolvedRefs=True/ResolvedRefs",
  ]);
  const unmatched = statusOf(
    config,
    "HTTPRoute",
    INFRA,
    "httproute-listener-not-matching-route-port",
  );
  assertEquals(unmatched.parents?.length, 1);
  assertEquals(conditionSummary(unmatched.parents?.[0]?.conditions), [
    "Accepted=False/NoMatchingParent",
    "ResolvedRefs=True/ResolvedRefs",
  ]);
  const other = statusOf(config, "Gateway", INFRA, "other-port");
  assertEquals(other.listeners?.map((l) => l.attachedRoutes), [0]);
  const infra = statusOf(config, "Gateway", INFRA, "gateway-with-infrastructure-metadata");
  assertEquals(conditionSummary(infra.conditions), [
    "Accepted=True/Accepted",
    "Programmed=True/Programmed",
  ]);
  const invalid = statusOf(config, "Gateway", INFRA, "gateway-invalid-parameters-ref");
  assertEquals(conditionSummary(invalid.conditions), [
    "Accepted=False/InvalidParameters",
    "Programmed=False/Invalid",
  ]);
  await assertRejects(() => Deno.connect({ hostname: "127.0.0.1", port: f.ports[3] }));
});
