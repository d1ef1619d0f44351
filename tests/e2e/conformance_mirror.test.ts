/**
 * HTTPRouteRequestMirror and HTTPRouteRequestMultipleMirrors through the real
 * gateway process: the client's answer comes from the route's backend, and a
 * copy of the request (with the rule's header changes) reaches each mirror.
 * A mirror to a missing Service sets ResolvedRefs False/BackendNotFound
 * while the rule keeps serving.
 */
import { assertEquals } from "@std/assert";
import { waitFor } from "../_helpers/wait_for.ts";
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

const [V1, V2, V3] = ["infra-backend-v1", "infra-backend-v2", "infra-backend-v3"];

const mirror = (backend: string, extra = "") =>
  `- type: RequestMirror\n  requestMirror: { backendRef: { name: ${backend}, port: 8080 }${extra} }`;

function rule(prefix: string, filters: string): string {
  return `  - matches: [{ path: { type: PathPrefix, value: ${prefix} } }]
    filters:
${filters.replace(/^/gm, "      ")}
    backendRefs: [{ name: ${V1}, port: 8080 }]`;
}

const ROUTE = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: mirrors, namespace: ${INFRA} }
spec:
  parentRefs: [{ name: mirror }]
  rules:
${rule("/mirror", mirror(V2))}
${
  rule(
    "/modified",
    `- type: RequestHeaderModifier
  requestHeaderModifier:
    set: [{ name: X-Header-Set, value: set-overwrites-values }]
    add: [{ name: X-Header-Add, value: header-val-1 }]
    remove: [X-Header-Remove]
${mirror(V2)}`,
  )
}
${rule("/multiple", `${mirror(V2)}\n${mirror(V3)}`)}
${rule("/never", mirror(V3, ", fraction: { numerator: 0, denominator: 1 }"))}
${rule("/missing", mirror("no-such-service"))}
`;

const get = (
  backend: { received(): { target: string; headers: [string, string][] }[] },
  target: string,
) => backend.received().filter((r) => r.target === target);

Deno.test("conformance: request mirrors copy requests without changing the answer", async () => {
  await using f = await startFixture({
    gatewayPorts: 1,
    backends: [V1, V2, V3].map((b) => `${INFRA}/${b}`),
    manifests: (ports, backendPort) => ({
      "class.yaml": GATEWAY_CLASS_YAML,
      "gateway.yaml": simpleGatewayYaml("mirror", ports[0]),
      "services.yaml": [V1, V2, V3].map((b) => serviceYaml(INFRA, b, backendPort(`${INFRA}/${b}`)))
        .join("---\n"),
      "routes.yaml": ROUTE,
    }),
  });
  const [v2, v3] = [f.backends[`${INFRA}/${V2}`], f.backends[`${INFRA}/${V3}`]];
  await checkTable(f.ports[0], [
    { rule: "the route's backend answers a mirrored request", path: "/mirror", backend: V1 },
    {
      rule: "the rule's header changes reach the backend",
      path: "/modified",
      headers: { "X-Header-Remove": "remove-val", "X-Header-Add": "append-val-1" },
      backend: V1,
      backendHeaders: { "X-Header-Set": "set-overwrites-values" },
      backendAbsent: ["X-Header-Remove"],
    },
    { rule: "several mirrors on one rule", path: "/multiple?x=1", backend: V1 },
    { rule: "a fraction of 0 mirrors nothing", path: "/never", backend: V1 },
    {
      rule: "a mirror that cannot be resolved leaves the rule serving",
      path: "/missing",
      backend: V1,
    },
  ]);
  await waitFor(
    "the mirrored copies",
    () =>
      get(v2, "/mirror").length === 1 && get(v2, "/modified").length === 1 &&
      get(v2, "/multiple?x=1").length === 1 && get(v3, "/multiple?x=1").length === 1,
  );
  const copy = new Map(get(v2, "/modified")[0].headers.map(([k, v]) => [k.toLowerCase(), v]));
  assertEquals(copy.get("x-header-set"), "set-overwrites-values");
  assertEquals(copy.get("x-header-add"), "append-val-1,header-val-1");
  assertEquals(copy.has("x-header-remove"), false);
  // A fraction of 0 never starts a copy (request_mirror.test.ts draws it exactly).
  assertEquals(get(v3, "/never").length, 0);

  const status = statusOf(await f.config(), "HTTPRoute", INFRA, "mirrors");
  const parent = status.parents?.[0];
  assertEquals(conditionSummary(parent?.conditions).filter((c) => c.startsWith("ResolvedRefs")), [
    "ResolvedRefs=False/BackendNotFound",
  ]);
});
