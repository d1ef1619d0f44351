/**
 * Builders for the YAML preambles the benchmarks, the `scripts/` runners and
 * the tests write into a files-source manifests directory: the GatewayClass
 * `serval`, a Gateway of that class, a Service whose one endpoint is a
 * backend on 127.0.0.1, and a TLS Secret. Each returns YAML documents
 * ending in a newline; join them with `---\n`.
 *
 * It lives under `scripts/`, not `bench/` or `tests/`, so that scripts,
 * benchmarks and tests all import it downward.
 *
 * @example
 * ```ts
 * import { classAndGatewayYaml, loopbackServiceYaml } from "./manifests.ts";
 * const yaml = `${classAndGatewayYaml("bench", ["{ name: http, protocol: HTTP, port: 8080 }"])}---
 * ${loopbackServiceYaml("backend", 3000)}`;
 * console.log(yaml.includes("kind: EndpointSlice")); // true
 * ```
 * @module
 */

/** The controller name of the GatewayClass `serval` (the gateway's default). */
export const CONTROLLER = "gateway.serval.dev/controller";

/** The GatewayClass `serval`, handled by the gateway under test. */
export function gatewayClassYaml(): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: serval }
spec: { controllerName: ${CONTROLLER} }
`;
}

/**
 * A Gateway `name` in `default` of class `serval`. Each of `listeners` is one
 * listener as a YAML flow mapping (`{ name: http, protocol: HTTP, port: 80 }`);
 * `spec` holds more fields of the Gateway's spec, indented by two spaces.
 */
export function gatewayYaml(name: string, listeners: readonly string[], spec = ""): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: ${name}, namespace: default }
spec:
  gatewayClassName: serval
${spec}  listeners:
${listeners.map((l) => `    - ${l}\n`).join("")}`;
}

/** The GatewayClass `serval` and a Gateway of it, as {@linkcode gatewayYaml} builds one. */
export function classAndGatewayYaml(
  name: string,
  listeners: readonly string[],
  spec = "",
): string {
  return `${gatewayClassYaml()}---\n${gatewayYaml(name, listeners, spec)}`;
}

/** An HTTPS listener (flow mapping) terminating TLS with the certificate of Secret `cert`. */
export function httpsListener(name: string, port: number, cert: string, hostname?: string): string {
  const host = hostname === undefined ? "" : ` hostname: ${hostname},`;
  return `{ name: ${name}, protocol: HTTPS, port: ${port},${host} tls: { certificateRefs: [{ name: ${cert} }] } }`;
}

/** The port of a {@linkcode loopbackServiceYaml} Service. */
export interface LoopbackServicePort {
  /** The port's name, on the Service and the EndpointSlice; default `http`. */
  name?: string;
  /** The Service's port, what routes name; default 80. */
  port?: number;
  /** The port's `appProtocol` (`kubernetes.io/h2c`, `kubernetes.io/ws`, ...), if any. */
  appProtocol?: string;
  /** Whether the one endpoint is ready; default `true` (`false`: every request gets 503). */
  ready?: boolean;
}

/**
 * A Service `name` in `default` and its EndpointSlice `name-1`, whose one
 * endpoint is 127.0.0.1:`targetPort`.
 */
export function loopbackServiceYaml(
  name: string,
  targetPort: number,
  { name: portName = "http", port = 80, appProtocol, ready = true }: LoopbackServicePort = {},
): string {
  const app = appProtocol === undefined ? "" : `, appProtocol: ${appProtocol}`;
  return `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: default }
spec:
  ports: [{ name: ${portName}, port: ${port}, targetPort: ${targetPort}, protocol: TCP${app} }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}-1, namespace: default, labels: { kubernetes.io/service-name: ${name} } }
addressType: IPv4
ports: [{ name: ${portName}, port: ${targetPort}, protocol: TCP }]
endpoints: [{ addresses: ["127.0.0.1"], conditions: { ready: ${ready} } }]
`;
}

/** A `kubernetes.io/tls` Secret holding `certPem` and `keyPem` (base64 in `data`, as the API serves it). */
export function tlsSecretYaml(
  name: string,
  certPem: string,
  keyPem: string,
  namespace = "default",
): string {
  return `apiVersion: v1
kind: Secret
metadata: { name: ${name}, namespace: ${namespace} }
type: kubernetes.io/tls
data: { tls.crt: ${btoa(certPem)}, tls.key: ${btoa(keyPem)} }
`;
}
