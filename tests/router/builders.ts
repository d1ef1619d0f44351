/**
 * Hand-built `GatewayConfig` fixtures that follow the IR ordering contract of
 * `src/model/config.ts`: listeners most specific first, matches of a
 * virtual host in Gateway API precedence order. Routes are written the way a
 * user writes an HTTPRoute; `gatewayConfig` does the ordering.
 * @module
 */
import type {
  GatewayConfig,
  ListenerConfig,
  MatchConfig,
  PortConfig,
  RuleConfig,
  StringMatchType,
} from "../../src/model/config.ts";
import { ruleMapOf } from "../../src/model/rule_map.ts";

export type PathSpec = MatchConfig["path"];
export type StringSpec = string | { regex: string };
export type StringMatches = Record<string, StringSpec> | {
  type: StringMatchType;
  name: string;
  value: string;
}[];

/** One `HTTPRouteMatch` as a user writes it (every field optional). */
export interface MatchSpec {
  path?: PathSpec;
  method?: string;
  headers?: StringMatches;
  queryParams?: StringMatches;
}

export interface RuleSpec {
  /** Absent or empty: one match for `PathPrefix /`, as the spec defaults it. */
  matches?: MatchSpec[];
  /** Service names in namespace `default`, port 8080, weight 1 unless given. */
  backends?: (string | { name: string; weight: number })[];
}

export interface RouteSpec {
  /** `<name>` in namespace `default`. */
  name: string;
  rules: RuleSpec[];
}

export interface ListenerSpec {
  /** `<gateway>/<section>`; the id becomes `gateway/default/<gateway>/listener/<section>`. */
  name: string;
  hostname?: string | null;
  /** A Gateway's pool address (`PortConfig.address`); absent: the shared port. */
  address?: string;
  port?: number;
  protocol?: "HTTP" | "HTTPS";
  /** Virtual host name → routes attached for it (as translate's hostname intersection yields). */
  virtualHosts: Record<string, RouteSpec[]>;
  /** Keep matches in the order written instead of sorting them by precedence. */
  keepOrder?: boolean;
}

export const exact = (value: string): PathSpec => ({ type: "Exact", value });
export const prefix = (value: string): PathSpec => ({ type: "PathPrefix", value });
export const regex = (value: string): PathSpec => ({ type: "RegularExpression", value });

export function route(name: string, ...rules: RuleSpec[]): RouteSpec {
  return { name, rules };
}

export function listenerId(name: string): string {
  const [gateway, section] = name.split("/");
  return `gateway/default/${gateway}/listener/${section}`;
}

/** The match id of `<route>/rule/<i>/match/<j>` in namespace `default`. */
export function matchId(short: string): string {
  return `httproute/default/${short}`;
}

/** Build the config: listeners ordered by specificity per port, matches by precedence. */
export function gatewayConfig(listeners: ListenerSpec[]): GatewayConfig {
  const rules: Record<string, RuleConfig> = {};
  const ports = new Map<string, PortConfig>();
  for (const spec of listeners) {
    const port = spec.port ?? 80;
    const protocol = spec.protocol ?? "HTTP";
    const id = listenerId(spec.name);
    const listener: ListenerConfig = {
      id,
      ids: [id],
      hostname: spec.hostname ?? null,
      port,
      protocol,
      virtualHosts: Object.entries(spec.virtualHosts).map(([hostname, routes]) => ({
        hostname,
        matches: spec.keepOrder
          ? routes.flatMap((r) => routeMatches(r, rules))
          : orderMatches(routes.flatMap((r) => routeMatches(r, rules))),
      })),
    };
    if (protocol === "HTTPS") listener.tls = { certificateIds: ["secret/default/cert"] };
    const key = `${spec.address ?? ""}|${port}`;
    if (!ports.has(key)) {
      ports.set(key, {
        ...(spec.address === undefined ? {} : { address: spec.address }),
        port,
        protocol,
        listeners: [],
      });
    }
    ports.get(key)!.listeners.push(listener);
  }
  for (const port of ports.values()) port.listeners.sort(bySpecificity);
  return {
    ports: [...ports.values()].sort((a, b) => a.port - b.port),
    rules: ruleMapOf(Object.entries(rules).sort(([a], [b]) => a.localeCompare(b))),
  };
}

function routeMatches(spec: RouteSpec, rules: Record<string, RuleConfig>): MatchConfig[] {
  return spec.rules.flatMap((rule, i) => {
    const ruleId = `httproute/default/${spec.name}/rule/${i}`;
    rules[ruleId] = {
      id: ruleId,
      filters: [],
      backends: (rule.backends ?? []).map((b) => {
        const { name, weight } = typeof b === "string" ? { name: b, weight: 1 } : b;
        return {
          id: `service/default/${name}:8080`,
          weight,
          protocol: "http" as const,
          endpoints: [{ address: "10.0.0.1", port: 8080 }],
          filters: [],
        };
      }),
      invalidWeight: 0,
    };
    const matches = rule.matches?.length ? rule.matches : [{}];
    return matches.map((m, j): MatchConfig => ({
      id: `${ruleId}/match/${j}`,
      rule: ruleId,
      route: `default/${spec.name}`,
      path: m.path ?? prefix("/"),
      ...(m.method ? { method: m.method } : {}),
      headers: strings(m.headers, true),
      queryParams: strings(m.queryParams, false),
    }));
  });
}

function strings(spec: StringMatches | undefined, lower: boolean): MatchConfig["headers"] {
  if (spec === undefined) return [];
  if (Array.isArray(spec)) {
    return spec.map((s) => ({ ...s, name: lower ? s.name.toLowerCase() : s.name }));
  }
  return Object.entries(spec).map(([name, value]) => ({
    type: typeof value === "string" ? "Exact" : "RegularExpression",
    name: lower ? name.toLowerCase() : name,
    value: typeof value === "string" ? value : value.regex,
  }));
}

/**
 * Gateway API precedence: Exact path, then the longest PathPrefix, (regular
 * expressions last, by length), then a method, then more headers, then more
 * query params; ties keep route order, then rule and match order.
 */
function orderMatches(matches: MatchConfig[]): MatchConfig[] {
  const pathRank = (m: MatchConfig) =>
    ({ Exact: 0, PathPrefix: 1, RegularExpression: 2 })[m.path.type];
  return [...matches].sort((a, b) =>
    pathRank(a) - pathRank(b) ||
    b.path.value.length - a.path.value.length ||
    Number(b.method !== undefined) - Number(a.method !== undefined) ||
    b.headers.length - a.headers.length ||
    b.queryParams.length - a.queryParams.length
  );
}

function bySpecificity(a: ListenerConfig, b: ListenerConfig): number {
  const rank = (l: ListenerConfig) => l.hostname === null ? 0 : l.hostname.startsWith("*.") ? 1 : 2;
  const labels = (l: ListenerConfig) => l.hostname?.split(".").length ?? 0;
  return rank(b) - rank(a) || labels(b) - labels(a);
}
