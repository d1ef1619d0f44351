/**
 * Small builders of `GatewayConfig`s for data-plane tests: one port, one
 * listener without hostname, rules given by path and backends.
 * @module
 */
import type {
  BackendConfig,
  FilterConfig,
  GatewayConfig,
  MatchConfig,
  RuleConfig,
} from "../../src/model/config.ts";
import { ruleMapOf } from "../../src/model/rule_map.ts";

/** One rule of a test config. */
export interface TestRule {
  path: string;
  pathType?: MatchConfig["path"]["type"];
  filters?: FilterConfig[];
  backends?: BackendConfig[];
  invalidWeight?: number;
  timeouts?: RuleConfig["timeouts"];
  /** Virtual host; default `*`. */
  hostname?: string;
}

/** A backend on 127.0.0.1 ports. */
export { testBackend as backend } from "../../scripts/config_fixtures.ts";

/** A config with one HTTP (or HTTPS) port and the given rules, in order. */
export function testConfig(
  port: number,
  rules: TestRule[],
  protocol: "HTTP" | "HTTPS" = "HTTP",
): GatewayConfig {
  const ruleConfigs: Record<string, RuleConfig> = {};
  const byHost = new Map<string, MatchConfig[]>();
  rules.forEach((r, i) => {
    const id = `httproute/default/test/rule/${i}`;
    ruleConfigs[id] = {
      id,
      filters: r.filters ?? [],
      backends: r.backends ?? [],
      invalidWeight: r.invalidWeight ?? 0,
      ...(r.timeouts ? { timeouts: r.timeouts } : {}),
    };
    const host = r.hostname ?? "*";
    if (!byHost.has(host)) byHost.set(host, []);
    byHost.get(host)!.push({
      id: `${id}/match/0`,
      rule: id,
      route: "default/test",
      path: { type: r.pathType ?? "PathPrefix", value: r.path },
      headers: [],
      queryParams: [],
    });
  });
  return {
    ports: [{
      port,
      protocol,
      listeners: [{
        id: "gateway/default/gw/listener/web",
        ids: ["gateway/default/gw/listener/web"],
        hostname: null,
        port,
        protocol,
        virtualHosts: [...byHost].map(([hostname, matches]) => ({ hostname, matches })),
      }],
    }],
    rules: ruleMapOf(ruleConfigs),
  };
}
