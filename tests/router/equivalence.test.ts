/**
 * The indexed table must pick exactly what a linear scan in precedence order
 * picks, for any match order. Random (seeded, so reproducible) configs and
 * requests over a small alphabet make collisions between exact, prefix and
 * regex paths, methods, headers and query params frequent.
 */
import { assertEquals } from "@std/assert";
import type { GatewayConfig, MatchConfig, RuleConfig } from "../../src/model/config.ts";
import type { RouteRequest } from "../../src/router/router.ts";
import { compileRouteTable } from "../../src/router/compile_route_table.ts";
import { createLinearRouteTable } from "../../src/router/linear_route_table.ts";
import { ruleMapOf } from "../../src/model/rule_map.ts";

function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEGMENTS = ["a", "b", "ab", "c"];
const HOSTS = ["a.example.com", "b.a.example.com", "example.com", "other.org"];
const VHOSTS = ["*", "*.example.com", "a.example.com", "*.a.example.com", "example.com"];
const LISTENER_HOSTS = [null, "*.example.com", "a.example.com"];

function randomConfig(random: () => number): GatewayConfig {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const path = (): string => {
    const depth = Math.floor(random() * 4);
    const segments = Array.from({ length: depth }, () => pick(SEGMENTS));
    return "/" + segments.join("/") + (depth > 0 && random() < 0.2 ? "/" : "");
  };
  const rules: Record<string, RuleConfig> = {};
  let counter = 0;
  const match = (): MatchConfig => {
    const n = counter++;
    const rule = `httproute/default/r${n}/rule/0`;
    rules[rule] = { id: rule, filters: [], backends: [], invalidWeight: 0 };
    const kind = pick(["Exact", "PathPrefix", "PathPrefix", "RegularExpression"] as const);
    const value = kind === "RegularExpression"
      ? pick(["/a/.*", "/(a|b)", "/a?b.*", "/c/?"])
      : path();
    return {
      id: `${rule}/match/0`,
      rule,
      route: `default/r${n}`,
      path: { type: kind, value },
      ...(random() < 0.3 ? { method: pick(["GET", "POST"]) } : {}),
      headers: random() < 0.3
        ? [{
          type: random() < 0.5 ? "Exact" : "RegularExpression",
          name: pick(["x", "y"]),
          value: pick(["1", "2", "[12]"]),
        }]
        : [],
      queryParams: random() < 0.2 ? [{ type: "Exact", name: "q", value: pick(["1", "2"]) }] : [],
    };
  };
  const listeners = LISTENER_HOSTS.filter(() => random() < 0.7).map((hostname, i) => ({
    id: `gateway/default/g/listener/l${i}`,
    ids: [`gateway/default/g/listener/l${i}`],
    hostname,
    port: 80,
    protocol: "HTTP" as const,
    virtualHosts: VHOSTS.filter(() => random() < 0.6).map((vhost) => ({
      hostname: vhost,
      matches: Array.from({ length: 1 + Math.floor(random() * 12) }, match),
    })),
  }));
  // The IR orders listeners most specific first.
  listeners.sort((a, b) => rank(b.hostname) - rank(a.hostname));
  return { ports: [{ port: 80, protocol: "HTTP", listeners }], rules: ruleMapOf(rules) };
}

function rank(hostname: string | null): number {
  return hostname === null ? 0 : hostname.startsWith("*.") ? 1 : 2;
}

function randomRequest(random: () => number): RouteRequest {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const depth = Math.floor(random() * 5);
  const segments = Array.from({ length: depth }, () => pick(SEGMENTS));
  const headers = new Headers();
  if (random() < 0.5) headers.set(pick(["x", "y"]), pick(["1", "2", "3"]));
  return {
    port: 80,
    host: pick(HOSTS),
    method: pick(["GET", "POST"]),
    path: "/" + segments.join("/") + (depth > 0 && random() < 0.3 ? "/" : ""),
    query: random() < 0.4 ? `q=${pick(["1", "2"])}` : "",
    headers,
  };
}

Deno.test("compiled and linear routers agree on random configs and requests", () => {
  const random = prng(20261101);
  let matched = 0;
  for (let i = 0; i < 300; i++) {
    const config = randomConfig(random);
    const compiled = compileRouteTable(config);
    const linear = createLinearRouteTable(config);
    for (let j = 0; j < 40; j++) {
      const request = randomRequest(random);
      const expected = linear.match(request);
      const actual = compiled.match(request);
      const describe = JSON.stringify({
        config: i,
        request: { ...request, headers: [...request.headers as Headers] },
      });
      assertEquals(actual?.match.id, expected?.match.id, describe);
      assertEquals(actual?.virtualHost, expected?.virtualHost, describe);
      assertEquals(
        compiled.listenerFor(80, request.host)?.id,
        linear.listenerFor(80, request.host)?.id,
      );
      if (expected) matched++;
    }
  }
  // The generator must exercise hits, not only misses.
  assertEquals(matched > 3000, true, `only ${matched} of 12000 requests matched`);
});
