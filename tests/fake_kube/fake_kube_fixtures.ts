/**
 * Objects and helpers shared by the tests that run against the fake API
 * server: small builders for each kind, a client for a fake, and polling.
 * @module
 */
import { createKubeClient, type KubeClient } from "../../src/kube/client.ts";
import { loadKubeconfigFile } from "../../src/kube/kubeconfig.ts";
import type { FakeKube } from "./fake_kube_server.ts";

/** Our controller name in tests. */
export const CONTROLLER = "gateway.serval.dev/controller";

/**
 * Polls `check` every 10 ms until it returns truthy; fails after `timeoutMs`
 * (default 60 s: a deadline only a defect reaches, even on a busy machine).
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A client for `kube` through a kubeconfig file (token or token file). */
export async function clientFor(
  kube: FakeKube,
  options: { tokenFile?: string; token?: string } = {},
): Promise<KubeClient> {
  const dir = await Deno.makeTempDir({ prefix: "fake-kubeconfig-" });
  const path = `${dir}/config`;
  if (options.token) {
    kube.extraTokens.add(options.token);
    await kube.writeKubeconfig(path, options.token);
    return createKubeClient(await loadKubeconfigFile(path, { tokenReloadMs: 60_000 }));
  }
  if (options.tokenFile) {
    await Deno.writeTextFile(
      path,
      `apiVersion: v1
kind: Config
clusters: [{ name: fake, cluster: { server: "${kube.url}", certificate-authority: "${kube.pki.caFile}" } }]
users: [{ name: rotating, user: { tokenFile: "${options.tokenFile}" } }]
contexts: [{ name: fake, context: { cluster: fake, user: rotating } }]
current-context: fake
`,
    );
  } else {
    await kube.writeKubeconfig(path);
  }
  return createKubeClient(await loadKubeconfigFile(path, { tokenReloadMs: 60_000 }));
}

/** A route's `status.parents` entry of another controller, which ours must leave as it is. */
export const OTHER_PARENT = {
  parentRef: { name: "their-gw" },
  controllerName: "example.com/other",
  conditions: [{
    type: "Accepted",
    status: "True",
    reason: "Accepted",
    message: "",
    lastTransitionTime: "2020-01-01T00:00:00Z",
  }],
};

/** Namespace object. */
export function namespace(name: string, labels: Record<string, string> = {}) {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } };
}

/** A GatewayClass handled by our controller. */
export function gatewayClass(name = "serval", controllerName = CONTROLLER) {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "GatewayClass",
    metadata: { name },
    spec: { controllerName },
  };
}

/** A Gateway with one HTTP listener. */
export function gateway(name = "gw", port = 8080, ns = "default") {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name, namespace: ns },
    spec: {
      gatewayClassName: "serval",
      listeners: [{ name: "http", port, protocol: "HTTP" }],
    },
  };
}

/** An HTTPRoute sending `prefix` on `host` to Service `backend`:80. */
export function httpRoute(
  name: string,
  options: { host?: string; prefix?: string; backend?: string; gateway?: string; ns?: string } = {},
) {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name, namespace: options.ns ?? "default" },
    spec: {
      parentRefs: [{ name: options.gateway ?? "gw" }],
      hostnames: [options.host ?? "example.test"],
      rules: [{
        matches: [{ path: { type: "PathPrefix", value: options.prefix ?? "/" } }],
        backendRefs: [{ name: options.backend ?? "backend", port: 80 }],
      }],
    },
  };
}

/** A Service with port 80. */
export function service(name = "backend", ns = "default") {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: ns },
    spec: { ports: [{ name: "http", port: 80, protocol: "TCP" }] },
  };
}

/** An EndpointSlice of Service `service` with ready endpoints on `port`. */
export function endpointSlice(
  service: string,
  addresses: string[],
  port: number,
  ns = "default",
  name = `${service}-slice`,
) {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name, namespace: ns, labels: { "kubernetes.io/service-name": service } },
    addressType: "IPv4",
    endpoints: addresses.map((a) => ({ addresses: [a], conditions: { ready: true } })),
    ports: [{ name: "http", port, protocol: "TCP" }],
  };
}

/** A Secret of `type`. */
export function secret(name: string, type = "kubernetes.io/tls", ns = "default") {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: ns },
    type,
    data: { "tls.crt": btoa("cert"), "tls.key": btoa("key") },
  };
}
