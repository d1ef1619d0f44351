/**
 * The production route table: listeners and virtual hosts found through
 * `HostIndex` (cost grows with the labels of the request host, not with the
 * number of hosts), matches found through a per-host `PathIndex`.
 * @module
 */
import {
  type GatewayConfig,
  type ListenerConfig,
  type RuleConfig,
  socketKey,
  type VirtualHostConfig,
} from "../model/config.ts";
import type { RouteMatch, RouteRequest, RouteTable } from "./router.ts";
import { compileMatch } from "./compiled_match.ts";
import { HostIndex } from "./host_index.ts";
import { PathIndex } from "./path_index.ts";
import { LazyQuery } from "./query_params.ts";

interface CompiledListener {
  config: ListenerConfig;
  virtualHosts: HostIndex<PathIndex<RouteMatch>>;
}

/**
 * Compile a `GatewayConfig` into a frozen `RouteTable`.
 *
 * Routing follows the IR's ordering contract (`src/model/config.ts`):
 * on the request's port the most specific listener whose hostname matches
 * the host wins and only its routes are considered (listener isolation);
 * inside it, the virtual host named exactly like the host is tried, then the
 * matching wildcard virtual hosts from most to fewest labels, then `*`; in
 * each, matches are tried in their given (precedence) order and the first
 * whose conditions all hold wins.
 *
 * Conditions: `Exact` path is case-sensitive equality; `PathPrefix` matches
 * whole segments with trailing slashes of the prefix ignored (`/foo` matches
 * `/foo`, `/foo/`, `/foo/bar`, not `/foobar`); `RegularExpression` (path,
 * header, query) is an anchored full match in ECMAScript syntax, compiled
 * here once. Header names are case-insensitive, a repeated request header is
 * seen as its values joined by `, `; query parameters use their first value.
 * Only the first condition per header or query name counts, as the spec says.
 * A match whose rule is missing from `config.rules` or whose expression does
 * not compile never matches.
 *
 * The request's `path` must already be normalised (`normalizePath`) and its
 * `host` lower-cased without port (`hostFromAuthority`).
 *
 * @example
 * ```ts
 * import { compileRouteTable } from "./compile_route_table.ts";
 * const table = compileRouteTable({ ports: [], rules: {} });
 * table.match({
 *   port: 80, host: "example.com", method: "GET", path: "/", query: "", headers: new Headers(),
 * }); // undefined
 * ```
 */
export function compileRouteTable(config: GatewayConfig, cache?: VirtualHostCache): RouteTable {
  // Keyed by `address|port`: a pool address is its own socket, apart from
  // the shared listen host (empty address) and from other addresses.
  const ports = new Map<string, HostIndex<CompiledListener>>();
  for (const port of config.ports) {
    const key = socketKey(port);
    let listeners = ports.get(key);
    if (!listeners) {
      listeners = new HostIndex<CompiledListener>();
      ports.set(key, listeners);
    }
    for (const listener of port.listeners) {
      listeners.add(listener.hostname, compileListener(listener, config.rules, cache));
    }
  }

  return Object.freeze({
    config,
    listenerFor(port: number, host: string, address?: string): ListenerConfig | undefined {
      return ports.get(socketKey({ port, address }))?.first(host)?.config;
    },
    match(request: RouteRequest): RouteMatch | undefined {
      const listener = ports.get(socketKey(request))?.first(request.host);
      if (!listener) return undefined;
      const query = new LazyQuery(request.query);
      return listener.virtualHosts.find(request.host, (index) => index.find(request, query));
    },
  });
}

/**
 * Compiled virtual hosts of earlier tables, for {@linkcode createRouteTableCompiler}:
 * a virtual host object that comes again (translate reuses unchanged ones)
 * with the same rule objects on the same listener is not compiled again.
 */
export type VirtualHostCache = WeakMap<VirtualHostConfig, CachedVirtualHost>;

interface CachedVirtualHost {
  listener: string;
  rules: (RuleConfig | undefined)[];
  index: PathIndex<RouteMatch>;
}

/**
 * A `compileRouteTable` that reuses the compiled virtual hosts of the tables
 * it built before (see {@linkcode VirtualHostCache}); for the one caller that
 * compiles config after config.
 *
 * @example
 * ```ts
 * import { createRouteTableCompiler } from "./compile_route_table.ts";
 * const compile = createRouteTableCompiler();
 * compile({ ports: [], rules: {} }).config.ports; // []
 * ```
 */
export function createRouteTableCompiler(): (config: GatewayConfig) => RouteTable {
  const cache: VirtualHostCache = new WeakMap();
  return (config) => compileRouteTable(config, cache);
}

/**
 * What a match result carries of its listener, as one string: a cached
 * virtual host keeps its results (and their listener object) only while
 * this is unchanged. Its virtual hosts are left out: a result is never
 * asked for them (and, from a cached table, carries none).
 */
function listenerHead(listener: ListenerConfig): string {
  const { virtualHosts: _hosts, ...head } = listener;
  return JSON.stringify(head);
}

function compileListener(
  listener: ListenerConfig,
  rules: Record<string, RuleConfig>,
  cache: VirtualHostCache | undefined,
): CompiledListener {
  const virtualHosts = new HostIndex<PathIndex<RouteMatch>>();
  const head = cache === undefined ? "" : listenerHead(listener);
  // A result kept by a cached virtual host must not hold the listener's
  // virtual hosts: they would keep the config it was compiled from alive, and
  // that config's stale hosts their own old results, one more for each change.
  const resultListener: ListenerConfig = cache === undefined
    ? listener
    : Object.freeze({ ...listener, virtualHosts: [] });
  for (const virtualHost of listener.virtualHosts) {
    const ruleList = virtualHost.matches.map((m) =>
      Object.hasOwn(rules, m.rule) ? rules[m.rule] : undefined
    );
    const cached = cache?.get(virtualHost);
    if (
      cached !== undefined && cached.listener === head &&
      cached.rules.every((rule, i) => rule === ruleList[i])
    ) {
      virtualHosts.add(virtualHost.hostname, cached.index);
      continue;
    }
    const index = new PathIndex<RouteMatch>();
    virtualHost.matches.forEach((match, order) => {
      const rule = ruleList[order];
      if (rule === undefined) return;
      const result = Object.freeze({
        listener: resultListener,
        virtualHost: virtualHost.hostname,
        match,
        rule,
      });
      index.add({ order, compiled: compileMatch(match), result });
    });
    cache?.set(virtualHost, { listener: head, rules: ruleList, index });
    virtualHosts.add(virtualHost.hostname, index);
  }
  return { config: listener, virtualHosts };
}
