/**
 * HTTPRouteRetry through the real gateway process, with the upstream
 * HTTPRouteRetry test's table: a backend that fails a request's first N
 * tries (`x-echo-succeed-after`, keyed per case) is retried for the listed
 * codes up to `attempts` times; beyond that, or for an unlisted code, the
 * failure reaches the client. Retries are counted in
 * `serval_upstream_errors_total{kind="retried"}`.
 */
import { assert } from "@std/assert";
import {
  type Case,
  checkTable,
  GATEWAY_CLASS_YAML,
  INFRA,
  serviceYaml,
  simpleGatewayYaml,
  startFixture,
} from "./_conformance.ts";

const V3 = "infra-backend-v3";

const ROUTE = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: retries, namespace: ${INFRA} }
spec:
  parentRefs: [{ name: retry }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /retry/code-500-attempts-3 } }]
      retry: { codes: [500], attempts: 3, backoff: 1ms }
      backendRefs: [{ name: ${V3}, port: 8080 }]
    - matches: [{ path: { type: PathPrefix, value: /retry/code-all-attempts-2 } }]
      retry: { codes: [500, 502, 503, 504], attempts: 2, backoff: 1ms }
      backendRefs: [{ name: ${V3}, port: 8080 }]
`;

let key = 0;
function row(path: string, code: number, succeedAfter: number, status: number): Case {
  return {
    rule: `${path}: ${code} for the first ${succeedAfter} tries gives ${status}`,
    path,
    method: "POST",
    headers: {
      "x-echo-status": String(code),
      "x-echo-succeed-after": String(succeedAfter),
      "x-echo-key": String(++key),
    },
    status,
    ...(status === 200 ? { backend: V3 } : {}),
  };
}

Deno.test("conformance: HTTPRouteRetry retries listed codes up to the attempts", async () => {
  await using f = await startFixture({
    gatewayPorts: 1,
    backends: [`${INFRA}/${V3}`],
    manifests: (ports, backendPort) => ({
      "class.yaml": GATEWAY_CLASS_YAML,
      "gateway.yaml": simpleGatewayYaml("retry", ports[0]),
      "services.yaml": serviceYaml(INFRA, V3, backendPort(`${INFRA}/${V3}`)),
      "routes.yaml": ROUTE,
    }),
  });
  const three = "/retry/code-500-attempts-3";
  const all = "/retry/code-all-attempts-2";
  await checkTable(f.ports[0], [
    row(three, 500, 2, 200),
    row(three, 500, 3, 200),
    row(three, 500, 4, 500),
    row(three, 503, 2, 503),
    ...[500, 502, 503, 504].flatMap((code) => [row(all, code, 1, 200), row(all, code, 3, code)]),
  ]);
  const metrics = await (await f.gateway.admin("/metrics")).text();
  const retried = metrics.split("\n").find((l) =>
    l.startsWith("serval_upstream_errors_total") && l.includes('kind="retried"')
  );
  // 2 + 3 + 3 + 0 for the first route, 1 + 2 for each of the four codes.
  assert(retried?.endsWith(" 20"), String(retried));
});
