/**
 * Manifest builders for the end-to-end tests: small YAML texts with the
 * fields a test cares about, written into a temporary manifests directory.
 * @module
 */

import {
  gatewayClassYaml,
  gatewayYaml as sharedGatewayYaml,
  httpsListener,
  loopbackServiceYaml,
} from "../../scripts/manifests.ts";

/**
 * An HTTP client that sends the `Host` header it is given: `fetch` drops a
 * caller-set `Host` otherwise, and host routing is what these tests check.
 */
export const client: Deno.HttpClient = Deno.createHttpClient({ allowHost: true });

export { CONTROLLER, gatewayClassYaml, tlsSecretYaml } from "../../scripts/manifests.ts";

/** A Gateway `name` (default `e2e`) of class `serval` with one HTTP listener on `port`. */
export function gatewayOnlyYaml(port: number, name = "e2e"): string {
  return sharedGatewayYaml(name, [`{ name: http, protocol: HTTP, port: ${port} }`]);
}

/** A GatewayClass `serval` and a Gateway `e2e` with one HTTP listener on `port`. */
export function gatewayYaml(port: number, name = "e2e"): string {
  return `${gatewayClassYaml()}---
${gatewayOnlyYaml(port, name)}`;
}

/**
 * A Service `name` (port 80, named `http`) and its EndpointSlice pointing at
 * 127.0.0.1:`port`. `ready: false` makes the only endpoint not ready (503).
 */
export function serviceYaml(name: string, port: number, ready = true): string {
  return loopbackServiceYaml(name, port, { ready });
}

/** A Service like `serviceYaml`, its port marked with `appProtocol` (e.g. `kubernetes.io/ws`). */
export function appServiceYaml(name: string, port: number, appProtocol: string): string {
  return loopbackServiceYaml(name, port, { appProtocol });
}

/**
 * A Service `name` (port 8080, named `grpc`, with `appProtocol` when given)
 * and its EndpointSlice pointing at 127.0.0.1:`port`: a gRPC backend.
 */
export function grpcServiceYaml(name: string, port: number, appProtocol?: string): string {
  return loopbackServiceYaml(name, port, { name: "grpc", port: 8080, appProtocol });
}

/**
 * A GatewayClass `serval` and a Gateway `e2e` with two HTTPS listeners on
 * `port`, `grpc` (grpc.example.com) and `web` (web.example.com), both with
 * the certificate of Secret `cert`. With `clientsCaPem`, the Gateway asks
 * clients for a certificate that CA signed (ConfigMap `clients-ca`,
 * `AllowValidOnly`).
 */
export function grpcHttpsGatewayYaml(port: number, clientsCaPem?: string): string {
  const ca = clientsCaPem?.trim().split("\n").map((l) => `    ${l}`).join("\n");
  const configMap = ca === undefined ? "" : `---
apiVersion: v1
kind: ConfigMap
metadata: { name: clients-ca, namespace: default }
data:
  ca.crt: |
${ca}
`;
  const frontend = ca === undefined ? "" : `  tls:
    frontend:
      default:
        validation:
          mode: AllowValidOnly
          caCertificateRefs: [{ group: "", kind: ConfigMap, name: clients-ca }]
`;
  const listeners = [
    httpsListener("grpc", port, "cert", "grpc.example.com"),
    httpsListener("web", port, "cert", "web.example.com"),
  ];
  return `${gatewayClassYaml()}${configMap}---
${sharedGatewayYaml("e2e", listeners, frontend)}`;
}

/**
 * For {@linkcode grpcHttpsGatewayYaml}: a GRPCRoute on listener `grpc`
 * sending `echo.Echo` to Service `one`, and an HTTPRoute on `web` to `web`.
 */
export const GRPC_AND_WEB_ROUTES = `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: calls, namespace: default }
spec:
  parentRefs: [{ name: e2e, sectionName: grpc }]
  rules:
  - matches: [{ method: { service: echo.Echo } }]
    backendRefs: [{ name: one, port: 8080 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: pages, namespace: default }
spec:
  parentRefs: [{ name: e2e, sectionName: web }]
  rules:
  - backendRefs: [{ name: web, port: 80 }]
`;

/**
 * A GRPCRoute (`grpc.example.com`, service `echo.Echo` to Service `one`) and
 * an HTTPRoute (`web.example.com` to Service `web`) on every listener of
 * Gateway `e2e`: one port that carries both kinds.
 */
export const GRPC_AND_WEB_HOSTNAME_ROUTES = `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: calls, namespace: default }
spec:
  parentRefs: [{ name: e2e }]
  hostnames: [grpc.example.com]
  rules:
  - matches: [{ method: { service: echo.Echo } }]
    backendRefs: [{ name: one, port: 8080 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: pages, namespace: default }
spec:
  parentRefs: [{ name: e2e }]
  hostnames: [web.example.com]
  rules:
  - backendRefs: [{ name: web, port: 80 }]
`;

const HARDENING_RULES = `
- matches:
    - path: { type: PathPrefix, value: /admin }
  filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: { set: [{ name: X-Admin-Auth, value: required }] }
  backendRefs: [{ name: admin, port: 80 }]
- matches:
    - path: { type: PathPrefix, value: /public }
  filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: { set: [{ name: X-Internal, value: route-set }] }
  backendRefs: [{ name: public, port: 80 }]
`;

/**
 * The world hostile clients are sent against: Gateway `e2e` on `port`, route
 * `r` for `a.example` with `/admin` to Service `admin` (the route sets
 * `X-Admin-Auth: required`) and `/public` to Service `public` (it sets
 * `X-Internal: route-set`), each Service on its backend's port.
 */
export function hardeningManifests(
  port: number,
  backends: { public: number; admin: number },
): Record<string, string> {
  return {
    "gateway.yaml": gatewayYaml(port),
    "services.yaml": [
      serviceYaml("public", backends.public),
      serviceYaml("admin", backends.admin),
    ].join("---\n"),
    "route.yaml": routeYaml("r", ["a.example"], HARDENING_RULES),
  };
}

/** An HTTPRoute `name` attached to Gateway `e2e`, with the given hostnames and raw rules YAML. */
export function routeYaml(name: string, hostnames: string[], rulesYaml: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
  namespace: default
spec:
  parentRefs:
    - name: e2e
  hostnames: [${hostnames.map((h) => JSON.stringify(h)).join(", ")}]
  rules:
${rulesYaml.replace(/^/gm, "    ").trimEnd()}
`;
}

/** A rule sending `PathPrefix path` to one Service, written as a YAML list item. */
export function prefixRule(path: string, service: string): string {
  return `- matches:
    - path: { type: PathPrefix, value: ${path} }
  backendRefs:
    - { name: ${service}, port: 80 }
`;
}

/** Writes `files` (name → text) into `dir`, atomically per file (write + rename). */
export async function writeManifests(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    const tmp = `${dir}/.${name}.tmp`;
    await Deno.writeTextFile(tmp, text);
    await Deno.rename(tmp, `${dir}/${name}`);
  }
}
