/**
 * Status read back from objects: malformed entries are dropped, the object
 * is kept. The translate fuzzer found `translate` throwing on each of these
 * shapes (a Gateway's held addresses, an HTTPRoute's, GRPCRoute's,
 * TLSRoute's or policy's parents), and
 * the `--gateway-address-from-service` reader on a Service's.
 */
import { assertEquals } from "@std/assert";
import { validateResource } from "../../src/resources/validate.ts";
import { translate } from "../../src/translate/translate.ts";
import type { Gateway, GatewayClass } from "../../src/resources/gateway_types.ts";
import type { HTTPRoute } from "../../src/resources/http_route_types.ts";
import type { Service } from "../../src/resources/core_types.ts";
import { EMPTY_SNAPSHOT } from "../../src/model/snapshot.ts";

const GATEWAY_API = "gateway.networking.k8s.io/v1";

function valid<T>(raw: unknown): T {
  const result = validateResource(raw);
  if (!result.ok) throw new Error(`Expected a valid object: ${JSON.stringify(result)}`);
  return result.value as T;
}

const gateway = (status: unknown) => ({
  apiVersion: GATEWAY_API,
  kind: "Gateway",
  metadata: { name: "gw", namespace: "infra" },
  spec: { gatewayClassName: "serval", listeners: [{ name: "web", port: 80, protocol: "HTTP" }] },
  status,
});

Deno.test("a Gateway's status addresses keep only { type?, value } entries with strings", () => {
  const g = valid<Gateway>(gateway({
    addresses: [null, 5, { value: 5 }, { type: 1, value: "10.0.0.1" }, { value: "10.0.0.2" }],
    conditions: [],
  }));
  assertEquals(g.status as unknown, { addresses: [{ value: "10.0.0.2" }], conditions: [] });
  assertEquals(valid<Gateway>(gateway({ addresses: "10.0.0.1" })).status as unknown, {
    addresses: [],
  });
});

Deno.test("a route's status parents keep only entries naming their controller", () => {
  const route = valid<HTTPRoute>({
    apiVersion: GATEWAY_API,
    kind: "HTTPRoute",
    metadata: { name: "r", namespace: "default" },
    spec: { parentRefs: [{ name: "gw" }] },
    status: {
      parents: [null, { controllerName: 5 }, { controllerName: "x", parentRef: { name: "gw" } }],
    },
  });
  assertEquals(route.status as unknown, {
    parents: [{ controllerName: "x", parentRef: { name: "gw" } }],
  });
});

Deno.test("a GRPCRoute's status parents keep only entries naming their controller", () => {
  const route = valid<{ status?: unknown }>({
    apiVersion: GATEWAY_API,
    kind: "GRPCRoute",
    metadata: { name: "g", namespace: "default" },
    spec: { parentRefs: [{ name: "gw" }] },
    status: { parents: [null, "x", { controllerName: "y" }] },
  });
  assertEquals(route.status, { parents: [{ controllerName: "y" }] });
  const listless = valid<{ status?: unknown }>({
    apiVersion: GATEWAY_API,
    kind: "GRPCRoute",
    metadata: { name: "g", namespace: "default" },
    spec: {},
    status: { parents: "x" },
  });
  assertEquals(listless.status, { parents: [] });
});

Deno.test("a TLSRoute's status parents keep only entries naming their controller", () => {
  const route = valid<{ status?: unknown }>({
    apiVersion: "gateway.networking.k8s.io/v1alpha2",
    kind: "TLSRoute",
    metadata: { name: "t", namespace: "default" },
    spec: {
      parentRefs: [{ name: "gw" }],
      hostnames: ["a.example"],
      rules: [{ backendRefs: [{ name: "s", port: 443 }] }],
    },
    status: { parents: [null, { controllerName: "y" }] },
  });
  assertEquals(route.status, { parents: [{ controllerName: "y" }] });
});

Deno.test("a Service's load-balancer ingress keeps only { ip?, hostname? } entries with strings", () => {
  const service = (status: unknown) =>
    valid<Service>({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "s", namespace: "default" },
      spec: { ports: [{ port: 80 }] },
      status,
    });
  assertEquals(
    service({ loadBalancer: { ingress: [null, { ip: 5 }, { ip: "192.0.2.1" }] } }).status,
    { loadBalancer: { ingress: [{ ip: "192.0.2.1" }] } },
  );
  assertEquals(service({ loadBalancer: "x" }).status as unknown, {});
  assertEquals(service({ loadBalancer: { ingress: 1 } }).status as unknown, {
    loadBalancer: { ingress: [] },
  });
});

Deno.test("translate with an address pool reads a Gateway's malformed held addresses without throwing", () => {
  const g = valid<Gateway>(gateway({ addresses: [null, { value: 5 }, { type: "IPAddress" }] }));
  const gatewayClass = valid<GatewayClass>({
    apiVersion: GATEWAY_API,
    kind: "GatewayClass",
    metadata: { name: "serval" },
    spec: { controllerName: "gateway.serval.dev/controller" },
  });
  const result = translate(
    { ...EMPTY_SNAPSHOT, gatewayClasses: [gatewayClass], gateways: [g] },
    { controllerName: "gateway.serval.dev/controller", addressPool: "127.32.0.0/24" },
  );
  const status = result.statuses.find((s) => s.kind === "Gateway");
  assertEquals(status?.name, "gw");
});
