/**
 * Times `translate` over synthetic snapshots of 1k and 5k HTTPRoutes and
 * prints milliseconds per translate. Pure CPU work, no network. With
 * `--changes`, times instead one change of each kind (`_translate_changes.ts`)
 * against 5k routes, translated with the memo the gateway carries along.
 *
 *   deno run --allow-read bench/translate_bench.ts [--iterations N] [--changes] [--kinds A,B]
 *     [--routes 5000,20000] [--pipeline [--rounds N] [--against OTHER_CHECKOUT] [--own-hosts]]
 * With `--changes`, `--routes` gives the sizes to change one object among and
 * `--pipeline` times translate, compile and the status writer's update apart
 * (`_change_pipeline.ts`; hostnames grow with the routes, 25 routes each),
 * in `--rounds` alternating with another checkout's pipeline (`--against`).
 * @module
 */
import type { EndpointSlice, Namespace, Secret, Service } from "../src/resources/core_types.ts";
import type { Gateway, GatewayClass } from "../src/resources/gateway_types.ts";
import type { HTTPRoute } from "../src/resources/http_route_types.ts";
import type { Snapshot } from "../src/model/snapshot.ts";
import { translate } from "../src/translate/translate.ts";
import { TranslateMemo } from "../src/translate/translate_memo.ts";
import { cpuUsage } from "node:process";
import { CHANGES } from "./_translate_changes.ts";
import { loadPipeline, measurePipeline, type Pipeline, summary } from "./_change_pipeline.ts";

const CONTROLLER = "gateway.serval.dev/controller";

const CERTS = new URL("../tests/translate/testdata/certs/", import.meta.url);

/**
 * A snapshot with `routes` HTTPRoutes over 50 namespaces, `hosts` hostnames
 * (default 200) and `routes / 5` Services; an HTTPS listener no route
 * attaches to, its certificate Secret and ten Secrets nothing uses.
 */
export function syntheticSnapshot(routes: number, hosts = 200): Snapshot {
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
        {
          name: "https",
          port: 443,
          protocol: "HTTPS",
          hostname: "secure.example.net",
          tls: { mode: "Terminate", certificateRefs: [{ name: "tls" }] },
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
        hostnames: [`host-${r % hosts}.example.com`],
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
  const secret = (name: string, data: Record<string, string>): Secret => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: "infra" },
    type: "kubernetes.io/tls",
    data,
  });
  const pem = (file: string) => btoa(Deno.readTextFileSync(new URL(file, CERTS)));
  const tls = { "tls.crt": pem("example.crt"), "tls.key": pem("example.key") };
  const secrets = [secret("tls", tls)];
  for (let i = 0; i < 10; i++) secrets.push(secret(`unused-${i}`, tls));
  const namespaces: Namespace[] = [];
  for (let n = 0; n < 50; n++) {
    namespaces.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: `ns-${n}` } });
  }
  return {
    gatewayClasses: [gatewayClass],
    gateways: [gateway],
    httpRoutes,
    referenceGrants: [],
    services,
    endpointSlices: slices,
    secrets,
    namespaces,
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

/**
 * Wall and CPU time per translate with a memo, each translate after one
 * change of `kind` (median and max wall time over `iterations`).
 */
function measureChange(
  routes: number,
  kind: string,
  iterations: number,
): { median: number; max: number; cpuMs: number } {
  const options = { controllerName: CONTROLLER };
  const memo = new TranslateMemo();
  let snapshot = syntheticSnapshot(routes);
  translate(snapshot, options, memo);
  const times: number[] = [];
  const cpuStart = cpuUsage();
  for (let i = 0; i < iterations; i++) {
    snapshot = CHANGES[kind](snapshot, i);
    const start = performance.now();
    translate(snapshot, options, memo);
    times.push(performance.now() - start);
  }
  const cpu = cpuUsage(cpuStart);
  times.sort((a, b) => a - b);
  return {
    median: times[times.length >> 1],
    max: times[times.length - 1],
    cpuMs: (cpu.user + cpu.system) / 1000 / iterations,
  };
}

/** The pipeline of this checkout, and of `--against OTHER_CHECKOUT` when given. */
async function pipelines(): Promise<[string, Pipeline][]> {
  const at = Deno.args.indexOf("--against");
  const out: [string, Pipeline][] = [["this", await loadPipeline(new URL("../", import.meta.url))]];
  if (at >= 0) {
    const root = new URL(`${Deno.realPathSync(Deno.args[at + 1])}/`, "file:///");
    out.push(["other", await loadPipeline(root)]);
  }
  return out;
}

/**
 * Times `kind` changes through each pipeline in alternating rounds (each
 * round a fresh memo over the same snapshot), printing each round's stages.
 */
async function pipelineRounds(
  all: [string, Pipeline][],
  routes: number,
  kind: string,
  iterations: number,
): Promise<void> {
  const at = Deno.args.indexOf("--rounds");
  const rounds = at >= 0 ? Number(Deno.args[at + 1]) : 1;
  // As many hostnames as keep 25 routes on each, so a host costs the same at every size.
  // `--own-hosts`: a hostname per route, as bench/scale.ts makes them.
  const hosts = Deno.args.includes("--own-hosts") ? routes : Math.round(routes / 25);
  const snapshot = syntheticSnapshot(routes, Math.max(200, hosts));
  for (let round = 0; round < rounds; round++) {
    for (const [name, pipeline] of all) {
      const times = measurePipeline(pipeline, snapshot, CHANGES[kind], iterations, CONTROLLER);
      const total = times.translate.map((t, i) => t + times.compile[i] + times.status[i]);
      const load = Deno.loadavg()[0].toFixed(1);
      // deno-lint-ignore no-console
      console.log(
        `${kind} change, ${routes} HTTPRoutes, ${name}, round ${round + 1} ` +
          `(${iterations} changes, load ${load}), ms:\n` +
          `  translate ${summary(times.translate)}\n  compile   ${summary(times.compile)}\n` +
          `  status    ${summary(times.status)}\n  total     ${summary(total)}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
}

async function changes(iterations: number): Promise<void> {
  const at = Deno.args.indexOf("--kinds");
  const kinds = at >= 0 ? Deno.args[at + 1].split(",") : Object.keys(CHANGES);
  const sizes = Deno.args.indexOf("--routes");
  const counts = sizes >= 0 ? Deno.args[sizes + 1].split(",").map(Number) : [5_000];
  const pipeline = Deno.args.includes("--pipeline") ? await pipelines() : undefined;
  for (const routes of counts) {
    for (const kind of kinds) {
      if (pipeline !== undefined) {
        await pipelineRounds(pipeline, routes, kind, iterations);
        continue;
      }
      const { median, max, cpuMs } = measureChange(routes, kind, iterations);
      // deno-lint-ignore no-console
      console.log(
        `translate after one ${kind} change, ${routes} HTTPRoutes: median ${
          median.toFixed(2)
        } ms, ` +
          `max ${max.toFixed(2)} ms, ${cpuMs.toFixed(2)} ms CPU (${iterations} changes)`,
      );
    }
  }
}

if (import.meta.main) {
  const flag = Deno.args.indexOf("--iterations");
  const iterations = flag >= 0 ? Number(Deno.args[flag + 1]) : 10;
  if (Deno.args.includes("--changes")) {
    await changes(iterations);
    Deno.exit(0);
  }
  for (const routes of [1_000, 5_000]) {
    const { ms, cpuMs, matches } = measure(routes, iterations);
    // deno-lint-ignore no-console
    console.log(
      `translate ${routes} HTTPRoutes (${matches} matches): ` +
        `${ms.toFixed(1)} ms per translate, ${cpuMs.toFixed(1)} ms CPU (${iterations} runs)`,
    );
  }
}
