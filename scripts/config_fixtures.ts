/**
 * Small `GatewayConfig` builders shared by the data-plane tests and the
 * benchmarks: a backend on loopback ports, a rule of one HTTPRoute sending to
 * it, a virtual host of one path-prefix match, and a config of one plain-HTTP
 * port with one listener that has no hostname. Builders hand back new objects
 * each call and keep the ones they are given, as `translate` does, so a
 * caller can replace one host among thousands and keep the rest.
 *
 * @example
 * ```ts
 * import { oneListenerConfig, prefixHost, routeRule, testBackend } from "./config_fixtures.ts";
 * const rule = routeRule("r-1", testBackend("svc", [8080]));
 * const config = oneListenerConfig(8000, [prefixHost("r-1.test", rule)], [rule]);
 * ```
 * @module
 */
import type {
  BackendConfig,
  FilterConfig,
  GatewayConfig,
  PortConfig,
  RuleConfig,
  VirtualHostConfig,
} from "../src/model/config.ts";
import { ruleMapOf } from "../src/model/rule_map.ts";

/** Service `name` (port 80) in `default`, its endpoints `ports` on 127.0.0.1. */
export function testBackend(
  name: string,
  ports: number[],
  weight = 1,
  filters: FilterConfig[] = [],
): BackendConfig {
  return {
    id: `service/default/${name}:80`,
    weight,
    protocol: "http",
    endpoints: ports.map((port) => ({ address: "127.0.0.1", port })),
    filters,
  };
}

/** The only rule of HTTPRoute `default/<route>`, sending everything to `backend`. */
export function routeRule(route: string, backend: BackendConfig): RuleConfig {
  return {
    id: `httproute/default/${route}/rule/0`,
    filters: [],
    backends: [backend],
    invalidWeight: 0,
  };
}

/** Virtual host `hostname` with one `PathPrefix` match for `rule` (its route read from its id). */
export function prefixHost(hostname: string, rule: RuleConfig, path = "/"): VirtualHostConfig {
  return {
    hostname,
    matches: [{
      id: `${rule.id}/match/0`,
      rule: rule.id,
      route: rule.id.split("/").slice(1, 3).join("/"),
      path: { type: "PathPrefix", value: path },
      headers: [],
      queryParams: [],
    }],
  };
}

/**
 * One plain-HTTP `port` with listener `gateway/default/gw/listener/<listener>`
 * (no hostname) serving `hosts`; `hosts` and `rules` are used as given.
 */
export function oneListenerConfig(
  port: number,
  hosts: VirtualHostConfig[],
  rules: RuleConfig[],
  listener = "http",
): GatewayConfig {
  return {
    ports: [httpPort(port, hosts, `gateway/default/gw/listener/${listener}`)],
    rules: ruleMapOf(rules.map((r) => [r.id, r] as const)),
  };
}

/**
 * A plain-HTTP `port` (on `address` when given) with one listener `id` (no
 * hostname) serving `hosts`, used as given.
 */
export function httpPort(
  port: number,
  hosts: VirtualHostConfig[],
  id: string,
  address?: string,
): PortConfig {
  return {
    ...(address === undefined ? {} : { address }),
    port,
    protocol: "HTTP",
    listeners: [{ id, ids: [id], hostname: null, port, protocol: "HTTP", virtualHosts: hosts }],
  };
}
