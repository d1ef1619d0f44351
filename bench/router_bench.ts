/**
 * Router match cost over named request shapes, at 10, 1k and 10k hosts and
 * with 1k routes on one host. Each group compares one shape across table
 * sizes: flat numbers mean the cost does not grow with the number of hosts.
 *
 *   deno bench --allow-read bench/router_bench.ts
 */
import type { GatewayConfig, MatchConfig, RuleConfig } from "../src/model/config.ts";
import type { RouteRequest, RouteTable } from "../src/router/router.ts";
import { compileRouteTable } from "../src/router/compile_route_table.ts";
import { createLinearRouteTable } from "../src/router/linear_route_table.ts";
import { ruleMapOf } from "../src/model/rule_map.ts";

type PathType = MatchConfig["path"]["type"];

function buildConfig(hosts: number, routesPerHost: (host: string) => MatchConfig[]): GatewayConfig {
  const rules: Record<string, RuleConfig> = {};
  const virtualHosts = [];
  for (let i = 0; i < hosts; i++) {
    const hostname = i % 10 === 9 ? `*.zone-${i}.example.net` : `host-${i}.example.com`;
    const matches = routesPerHost(hostname);
    for (const m of matches) {
      rules[m.rule] ??= { id: m.rule, filters: [], backends: [], invalidWeight: 0 };
    }
    virtualHosts.push({ hostname, matches });
  }
  const id = "gateway/bench/gw/listener/http";
  return {
    ports: [{
      port: 80,
      protocol: "HTTP",
      listeners: [{ id, ids: [id], hostname: null, port: 80, protocol: "HTTP", virtualHosts }],
    }],
    rules: ruleMapOf(rules),
  };
}

function m(
  host: string,
  i: number,
  type: PathType,
  value: string,
  extra: Partial<MatchConfig> = {},
): MatchConfig {
  const rule = `httproute/bench/${host}/rule/${i}`;
  return {
    id: `${rule}/match/0`,
    rule,
    route: `bench/${host}`,
    path: { type, value },
    headers: [],
    queryParams: [],
    ...extra,
  };
}

/** A typical host: a few exact paths, nested prefixes, a header match, a regex, a catch-all. */
function typicalHost(host: string): MatchConfig[] {
  return [
    m(host, 0, "Exact", "/healthz"),
    m(host, 1, "PathPrefix", "/api/v1/users/42/orders"),
    m(host, 2, "PathPrefix", "/api/v1/users", {
      headers: [{ type: "Exact", name: "x-canary", value: "yes" }],
    }),
    m(host, 3, "PathPrefix", "/api/v1/users"),
    m(host, 4, "PathPrefix", "/api"),
    m(host, 5, "RegularExpression", "/files/[a-z0-9]+\\.png"),
    m(host, 6, "PathPrefix", "/", { method: "POST" }),
  ];
}

function request(host: string, path: string, headers: Record<string, string> = {}): RouteRequest {
  return { port: 80, host, method: "GET", path, query: "", headers: new Headers(headers) };
}

const sizes = [10, 1_000, 10_000];
const tables = new Map<number, RouteTable>(
  sizes.map((n) => [n, compileRouteTable(buildConfig(n, typicalHost))]),
);

const shapes: Record<string, (n: number) => RouteRequest> = {
  "exact host hit": (n) => request(`host-${Math.floor(n / 2)}.example.com`, "/api/v1/users"),
  "wildcard host": (n) => request(`a.b.zone-${n - 1}.example.net`, "/api/v1/users"),
  "miss (unknown host)": () => request("unknown.example.org", "/api"),
  "deep prefix": (n) =>
    request(`host-${Math.floor(n / 2)}.example.com`, "/api/v1/users/42/orders/7/items/3"),
  "header match": (n) =>
    request(`host-${Math.floor(n / 2)}.example.com`, "/api/v1/users/9", { "x-canary": "yes" }),
  "regex": (n) => request(`host-${Math.floor(n / 2)}.example.com`, "/files/logo42.png"),
};

for (const [shape, make] of Object.entries(shapes)) {
  for (const n of sizes) {
    const table = tables.get(n)!;
    const req = make(n);
    if (shape !== "miss (unknown host)" && table.match(req) === undefined) {
      throw new Error(`Cannot bench "${shape}": the request does not match at ${n} hosts`);
    }
    Deno.bench({
      name: `${shape} / ${n} hosts`,
      group: shape,
      baseline: n === 10,
      fn: () => {
        table.match(req);
      },
    });
  }
}

// 1k routes on one host: the winner is near the end of the precedence order.
const ROUTES = 1_000;
const bigHost = buildConfig(
  1,
  (host) =>
    Array.from(
      { length: ROUTES },
      (_, i) =>
        i % 2 === 0
          ? m(host, i, "Exact", `/svc-${i}/health`)
          : m(host, i, "PathPrefix", `/svc-${i}`, i % 4 === 1 ? { method: "POST" } : {}),
    ),
);
const bigRequest = request("host-0.example.com", `/svc-${ROUTES - 1}/items/1`);
const bigTables: [string, RouteTable][] = [
  ["compiled", compileRouteTable(bigHost)],
  ["linear reference", createLinearRouteTable(bigHost)],
];
for (const [name, table] of bigTables) {
  if (table.match(bigRequest) === undefined) throw new Error("Cannot bench 1k routes: no match");
  Deno.bench({
    name: `1k routes on one host, last route / ${name}`,
    group: "1k routes on one host",
    baseline: name === "compiled",
    fn: () => {
      table.match(bigRequest);
    },
  });
}
