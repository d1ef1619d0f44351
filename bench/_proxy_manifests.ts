/**
 * The manifests of the plain HTTP proxy benchmarks (`proxy_bench.ts`,
 * `workers_bench.ts`): one HTTP listener on the gateway's port and one
 * HTTPRoute to a Service whose one endpoint is the backend on 127.0.0.1.
 * @module
 */

/** GatewayClass, Gateway, HTTPRoute, Service and EndpointSlice as one YAML stream. */
export function benchManifests(gatewayPort: number, backendPort: number): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: serval
spec:
  controllerName: gateway.serval.dev/controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: bench
  namespace: default
spec:
  gatewayClassName: serval
  listeners:
    - name: http
      protocol: HTTP
      port: ${gatewayPort}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: bench
  namespace: default
spec:
  parentRefs:
    - name: bench
  rules:
    - backendRefs:
        - name: backend
          port: 80
---
apiVersion: v1
kind: Service
metadata:
  name: backend
  namespace: default
spec:
  ports:
    - name: http
      port: 80
      targetPort: ${backendPort}
      protocol: TCP
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: backend-1
  namespace: default
  labels:
    kubernetes.io/service-name: backend
addressType: IPv4
ports:
  - name: http
    port: ${backendPort}
    protocol: TCP
endpoints:
  - addresses: ["127.0.0.1"]
    conditions:
      ready: true
`;
}
