/**
 * Times `translate` over synthetic snapshots of 1k and 5k HTTPRoutes and
 * prints milliseconds per translate. Pure CPU work, no network.
 *
 *   deno run bench/translate_bench.ts [--iterations N]
 * @module
 */
import type { EndpointSlice, Service } from "../src/resources/core_types.ts";
import type { Gateway, GatewayClass } from "../src/resources/gateway_types.ts";
import type { HTTPRoute } from "../src/resources/http_route_types.ts";
import type { Snapshot } from "../src/model/snapshot.ts";
import { translate } from "../src/translate/translate.ts";
import { cpuUsage } from "node:process";

const CONTROLLER = "gateway.serval.dev/controller";

/** A snapshot with `routes` HTTPRoutes over 50 namespaces, 200 hostnames and `routes / 5` Services. */
export function syntheticSnapshot(routes: number): Snapshot {
  const gatewayClass: GatewayClass = {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "GatewayClass",
    metadata: { name: "serval" },
    spec: { controllerName: CONTROLLER },
  };
  const gateway: Gateway = {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name: "gw", namespace: "infra", generation: 1 },
    spec: {
      gatewayClassName: "serval",
      listeners: [
        {
          name: "http",
          port: 80,
          protocol: "HTTP",
          allowedRoutes: { namespaces: { from: "All" } },
        },
        {
          name: "wild",
          port: 80,
          protocol: "HTTP",
          hostname: "*.example.com",
          allowedRoutes: { namespaces: { from: "All" } },
        },
      ],
    },
  };
  const services: Service[] = [];
  const slices: EndpointSlice[] = [];
  const serviceCount = Math.max(1, Math.floor(routes / 5));
  for (let s = 0; s < serviceCount; s++) {
    const namespace = `ns-${s % 50}`;
    services.push({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: `svc-${s}`, namespace },
      spec: { ports: [{ name: "http", port: 80, targetPort: 8080 }] },
    });
    slices.push({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: `svc-${s}-a`,
        namespace,
        labels: { "kubernetes.io/service-name": `svc-${s}` },
      },
      addressType: "IPv4",
      ports: [{ name: "http", port: 8080 }],
      endpoints: [0, 1, 2].map((e) => ({ addresses: [`10.${s % 250}.${e}.${(s >> 8) % 250}`] })),
    });
  }
  const httpRoutes: HTTPRoute[] = [];
  for (let r = 0; r < routes; r++) {
    const s = r % serviceCount;
    const namespace = `ns-${s % 50}`;
    httpRoutes.push({
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: {
        name: `route-${r}`,
        namespace,
        generation: 1,
        creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, r)).toISOString(),
      },
      spec: {
        parentRefs: [{ name: "gw", namespace: "infra" }],
        hostnames: [`host-${r % 200}.example.com`],
        rules: [
          {
            matches: [
              { path: { type: "PathPrefix", value: `/api/${r}` } },
              { path: { type: "Exact", value: `/exact/${r}` }, method: "GET" },
            ],
            backendRefs: [{ name: `svc-${s}`, port: 80, weight: 3 }],
          },
          {
            matches: [{
              path: { type: "RegularExpression", value: `/items/${r}/[0-9]+` },
              headers: [{ name: "X-Tenant", value: `t${r}` }],
            }],
            filters: [{
              type: "RequestHeaderModifier",
              requestHeaderModifier: { set: [{ name: "X-Route", value: `${r}` }] },
            }],
            backendRefs: [{ name: `svc-${s}`, port: 80 }],
            timeouts: { request: "10s" },
          },
        ],
      },
    });
  }
  return {
    gatewayClasses: [gatewayClass],
    gateways: [gateway],
    httpRoutes,
    referenceGrants: [],
    services,
    endpointSlices: slices,
    secrets: [],
    namespaces: [],
  };
}

/**
 * Wall time per translate, and CPU time (this process, all threads) per
 * translate: on a shared machine the CPU figure is the steadier of the two.
 */
function measure(
  routes: number,
  iterations: number,
): { ms: number; cpuMs: number; matches: number } {
  const snapshot = syntheticSnapshot(routes);
  const options = { controllerName: CONTROLLER };
  let result = translate(snapshot, options); // warm-up
  const start = performance.now();
  const cpuStart = cpuUsage();
  for (let i = 0; i < iterations; i++) result = translate(snapshot, options);
  const cpu = cpuUsage(cpuStart);
  const ms = (performance.now() - start) / iterations;
  const cpuMs = (cpu.user + cpu.system) / 1000 / iterations;
  const matches = result.config.ports.flatMap((p) => p.listeners)
    .flatMap((l) => l.virtualHosts).reduce((n, v) => n + v.matches.length, 0);
  return { ms, cpuMs, matches };
}

if (import.meta.main) {
  const flag = Deno.args.indexOf("--iterations");
  const iterations = flag >= 0 ? Number(Deno.args[flag + 1]) : 10;
  for (const routes of [1_000, 5_000]) {
    const { ms, cpuMs, matches } = measure(routes, iterations);
    // deno-lint-ignore no-console
    console.log(
      `translate ${routes} HTTPRoutes (${matches} matches): ` +
        `${ms.toFixed(1)} ms per translate, ${cpuMs.toFixed(1)} ms CPU (${iterations} runs)`,
    );
  }
}
