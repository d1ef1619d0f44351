/**
 * The manifests of the plain HTTP proxy benchmarks (`proxy_bench.ts`,
 * `workers_bench.ts`, `h2c_bench.ts`, `h2_cleartext_bench.ts`): one HTTP
 * listener on the gateway's port and one HTTPRoute to a Service whose one
 * endpoint is the backend on 127.0.0.1.
 * @module
 */
import { classAndGatewayYaml, loopbackServiceYaml } from "../scripts/manifests.ts";

/**
 * GatewayClass, Gateway, HTTPRoute, Service and EndpointSlice as one YAML
 * stream; `appProtocol` (e.g. `kubernetes.io/h2c`) on the Service's port
 * when given.
 */
export function benchManifests(
  gatewayPort: number,
  backendPort: number,
  appProtocol?: string,
): string {
  return [
    classAndGatewayYaml("bench", [`{ name: http, protocol: HTTP, port: ${gatewayPort} }`]),
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: bench, namespace: default }
spec:
  parentRefs: [{ name: bench }]
  rules: [{ backendRefs: [{ name: backend, port: 80 }] }]
`,
    loopbackServiceYaml("backend", backendPort, { appProtocol }),
  ].join("---\n");
}
