/**
 * The reference route table: every decision made by scanning, in the most
 * literal reading of the IR contract. It is slow on purpose and shares no
 * matching code with `compileRouteTable`, so the shared case suite and the
 * randomised comparison test check the indexed table against an
 * independent implementation.
 * @module
 */
import type { GatewayConfig, ListenerConfig, MatchConfig } from "../model/config.ts";
import type { RouteMatch, RouteRequest, RouteTable } from "./router.ts";
import { hostnameMatches } from "../translate/hostname.ts";
import { virtualHostsFor } from "./virtual_hosts_for.ts";

/**
 * Build the linear-scan `RouteTable` for `config`. Same semantics as
 * `compileRouteTable`; use it in tests, never to serve traffic.
 *
 * @example
 * ```ts
 * import { createLinearRouteTable } from "./linear_route_table.ts";
 * import { ruleMapOf } from "../model/rule_map.ts";
 * createLinearRouteTable({ ports: [], rules: ruleMapOf() }).listenerFor(80, "a.example.com"); // undefined
 * ```
 */
export function createLinearRouteTable(config: GatewayConfig): RouteTable {
  return Object.freeze(new LinearRouteTable(config));
}

/** The scanning table: the config and a cache of compiled regular expressions. */
class LinearRouteTable implements RouteTable {
  readonly config: GatewayConfig;
  readonly #regexes = new Map<string, RegExp | null>();

  constructor(config: GatewayConfig) {
    this.config = config;
  }

  listenerFor(port: number, host: string, address?: string): ListenerConfig | undefined {
    const listeners =
      this.config.ports.find((p) => p.port === port && p.address === address)?.listeners ?? [];
    const specificity = (l: ListenerConfig) =>
      l.hostname === null || l.hostname === "*" ? 0 : l.hostname.startsWith("*.") ? 1 : 2;
    // Stable sort: equal ranks keep their order; wildcards with more labels first.
    const ranked = [...listeners].sort((a, b) =>
      specificity(b) - specificity(a) || labels(b.hostname) - labels(a.hostname)
    );
    return ranked.find((l) => l.hostname === null || hostMatches(l.hostname, host));
  }

  match(request: RouteRequest): RouteMatch | undefined {
    const listener = this.listenerFor(request.port, request.host, request.address);
    if (!listener) return undefined;
    const rules = this.config.rules;
    for (const virtualHost of virtualHostsFor(listener, request.host)) {
      for (const m of virtualHost.matches) {
        if (!rules.has(m.rule) || !this.#compiles(m)) continue;
        if (this.#matches(m, request)) {
          return {
            listener,
            virtualHost: virtualHost.hostname,
            match: m,
            rule: rules.get(m.rule)!,
          };
        }
      }
    }
    return undefined;
  }

  /** Whether every regular expression of `m` compiles (a match with one that does not never matches). */
  #compiles(m: MatchConfig): boolean {
    if (
      m.headers.concat(m.queryParams).some((c) =>
        c.type === "RegularExpression" && this.#regex(c.value) === null
      )
    ) return false;
    return !(m.path.type === "RegularExpression" && this.#regex(m.path.value) === null);
  }

  #matches(m: MatchConfig, request: RouteRequest): boolean {
    if (m.path.type === "Exact" && request.path !== m.path.value) return false;
    if (m.path.type === "PathPrefix") {
      let prefix = m.path.value;
      while (prefix.endsWith("/")) prefix = prefix.slice(0, -1);
      if (request.path !== prefix && !request.path.startsWith(prefix + "/")) return false;
    }
    if (m.path.type === "RegularExpression") {
      if (!this.#stringMatches("RegularExpression", m.path.value, request.path)) return false;
    }
    if (m.method !== undefined && m.method !== request.method) return false;
    const seenHeaders: string[] = [];
    for (const h of m.headers) {
      if (seenHeaders.includes(h.name.toLowerCase())) continue;
      seenHeaders.push(h.name.toLowerCase());
      const actual = request.headers.get(h.name);
      if (actual === null || !this.#stringMatches(h.type, h.value, actual)) return false;
    }
    const params = new URLSearchParams(request.query);
    const seenParams: string[] = [];
    for (const q of m.queryParams) {
      if (seenParams.includes(q.name)) continue;
      seenParams.push(q.name);
      const actual = params.get(q.name); // URLSearchParams.get gives the first value
      if (actual === null || !this.#stringMatches(q.type, q.value, actual)) return false;
    }
    return true;
  }

  #stringMatches(type: string, expected: string, actual: string): boolean {
    return type === "Exact" ? actual === expected : this.#regex(expected)?.test(actual) === true;
  }

  #regex(pattern: string): RegExp | null {
    if (!this.#regexes.has(pattern)) {
      let compiled: RegExp | null = null;
      try {
        compiled = new RegExp("^(?:" + pattern + ")$");
      } catch {
        compiled = null;
      }
      this.#regexes.set(pattern, compiled);
    }
    return this.#regexes.get(pattern)!;
  }
}

function labels(hostname: string | null): number {
  return hostname === null ? 0 : hostname.split(".").length;
}

function hostMatches(pattern: string, host: string): boolean {
  return pattern === "*" || hostnameMatches(pattern, host);
}
