/**
 * The production route table: listeners and virtual hosts found through
 * `HostIndex` (cost grows with the labels of the request host, not with the
 * number of hosts), matches found through a per-host `PathIndex`.
 * @module
 */
import {
  type GatewayConfig,
  type ListenerConfig,
  socketKey,
  type VirtualHostConfig,
} from "../model/config.ts";
import type { RouteMatch, RouteRequest, RouteTable } from "./router.ts";
import { compileMatch } from "./compiled_match.ts";
import { HostIndex } from "./host_index.ts";
import { PathIndex } from "./path_index.ts";
import { LazyQuery } from "./query_params.ts";
import { listChanges } from "../model/list_changes.ts";
import type { RuleMap } from "../model/rule_map.ts";

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
 * import { ruleMapOf } from "../model/rule_map.ts";
 * const table = compileRouteTable({ ports: [], rules: ruleMapOf() });
 * table.match({
 *   port: 80, host: "example.com", method: "GET", path: "/", query: "", headers: new Headers(),
 * }); // undefined
 * ```
 */
export function compileRouteTable(config: GatewayConfig, cache?: RouteTableCache): RouteTable {
  // By address, then port: a pool address is its own socket, apart from the
  // shared listen host (empty address) and from other addresses. Not by one
  // `address|port` string: a request would make that string and hash it,
  // about 900 instructions (counted under callgrind), where the address is
  // a string the table holds (its hash kept) and the port a number.
  const sockets = new Map<string, Map<number, HostIndex<CompiledListener>>>();
  const listenersOn = (address: string | undefined, port: number) =>
    sockets.get(address ?? "")?.get(port);
  const seen = new Map<string, CachedListener>();
  for (const port of config.ports) {
    const key = socketKey(port);
    let byPort = sockets.get(port.address ?? "");
    if (!byPort) sockets.set(port.address ?? "", byPort = new Map());
    let listeners = byPort.get(port.port);
    if (!listeners) {
      listeners = new HostIndex<CompiledListener>();
      byPort.set(port.port, listeners);
    }
    for (const listener of port.listeners) {
      const compiled = compileListener(
        listener,
        config.rules,
        cache,
        seen,
        `${key}|${listener.id}`,
      );
      listeners.add(listener.hostname, compiled);
    }
  }
  if (cache !== undefined) cache.listeners = seen;

  return Object.freeze({
    config,
    listenerFor(port: number, host: string, address?: string): ListenerConfig | undefined {
      return listenersOn(address, port)?.first(host)?.config;
    },
    match(request: RouteRequest): RouteMatch | undefined {
      const listener = listenersOn(request.address, request.port)?.first(request.host);
      if (!listener) return undefined;
      const query = new LazyQuery(request.query);
      return listener.virtualHosts.find(request.host, findIn, request, query);
    },
  });
}

/** The match `request` finds in one virtual host's index. */
function findIn(
  index: PathIndex<RouteMatch>,
  request: RouteRequest,
  query: LazyQuery,
): RouteMatch | undefined {
  return index.find(request, query);
}

/**
 * What {@linkcode createRouteTableCompiler} keeps of earlier tables: each
 * listener's host index by `address|port|listener id`, so a change of a few
 * hosts copies the index and compiles those hosts alone. Compiled hosts are
 * not kept by their config object besides: a host object the index does not
 * hold already is a new one (`translate` makes a new host whenever a route
 * serving it changed), and a listener compiled in full has a new head, which
 * no earlier compiled host was built with.
 */
export interface RouteTableCache {
  listeners: Map<string, CachedListener>;
}

interface CachedListener {
  head: string;
  /** The listener the results of its compiled hosts carry (see `compileListener`). */
  resultListener: ListenerConfig;
  /**
   * The listener's hosts as given: the next list is this very one when no
   * host changed, or says what changed since this one (`listChanges`).
   */
  hosts: readonly VirtualHostConfig[];
  index: HostIndex<PathIndex<RouteMatch>>;
}

/**
 * A `compileRouteTable` that reuses the compiled virtual hosts of the tables
 * it built before (see {@linkcode RouteTableCache}); for the one caller that
 * compiles config after config. A virtual host object given again in the
 * same listener must name rules whose objects did not change: `translate`
 * makes a new host whenever a route serving it changed.
 *
 * @example
 * ```ts
 * import { createRouteTableCompiler } from "./compile_route_table.ts";
 * import { ruleMapOf } from "../model/rule_map.ts";
 * const compile = createRouteTableCompiler();
 * compile({ ports: [], rules: ruleMapOf() }).config.ports; // []
 * ```
 */
export function createRouteTableCompiler(): (config: GatewayConfig) => RouteTable {
  const cache: RouteTableCache = { listeners: new Map() };
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

/** Compiles `listener`'s virtual hosts, reusing the host index `cache` holds of it. */
function compileListener(
  listener: ListenerConfig,
  rules: RuleMap,
  cache: RouteTableCache | undefined,
  seen: Map<string, CachedListener>,
  key: string,
): CompiledListener {
  if (cache === undefined) {
    const virtualHosts = new HostIndex<PathIndex<RouteMatch>>();
    for (const host of listener.virtualHosts) {
      virtualHosts.add(host.hostname, compileHost(host, listener, rules));
    }
    return { config: listener, virtualHosts };
  }
  const before = cache.listeners.get(key);
  const fresh = listenerHead(listener);
  const same = before !== undefined && before.head === fresh;
  // While the listener is unchanged, the earlier head and result listener are
  // kept, so hosts compiled at different changes share one result listener
  // instead of holding one per change.
  const head = same ? before.head : fresh;
  // A result kept by a cached virtual host must not hold the listener's
  // virtual hosts: they would keep the config it was compiled from alive, and
  // that config's stale hosts their own old results, one more for each change.
  const resultListener: ListenerConfig = same
    ? before.resultListener
    : Object.freeze({ ...listener, virtualHosts: [] });
  let patched = same ? patchHosts(before, listener.virtualHosts, resultListener, rules) : undefined;
  if (patched === undefined) {
    const hosts = listener.virtualHosts;
    const index = new HostIndex<PathIndex<RouteMatch>>();
    for (const host of hosts) {
      index.add(host.hostname, compileHost(host, resultListener, rules));
    }
    patched = { hosts, index };
  }
  seen.set(key, { head, resultListener, ...patched });
  return { config: listener, virtualHosts: patched.index };
}

/**
 * The listener's earlier host index with the hosts that are not the same
 * objects as before compiled again, and the host list as given, to
 * compare the next one with; `undefined` when a hostname comes twice
 * (the first would win: compile in full). A host object that comes again is
 * taken with the rules it came with before (see `createRouteTableCompiler`):
 * looking up every rule of thousands of hosts was most of a change's cost.
 * The new list says what changed since the one before (`listChanges`; else
 * the two are compared side by side) and the index is a layered copy, so a
 * change costs about the hosts it touched.
 */
function patchHosts(
  before: CachedListener,
  hosts: readonly VirtualHostConfig[],
  resultListener: ListenerConfig,
  rules: RuleMap,
): Pick<CachedListener, "hosts" | "index"> | undefined {
  const { added, removed } = listChanges(before.hosts, hosts);
  // Nothing changed: the index is never changed once built, so it is shared.
  if (added.length === 0 && removed.length === 0) return { hosts, index: before.index };
  const index = before.index.clone();
  for (const host of removed) index.delete(host.hostname);
  for (const host of added) {
    index.add(host.hostname, compileHost(host, resultListener, rules));
  }
  return index.size === hosts.length ? { hosts, index } : undefined;
}

/** One virtual host's path index. */
function compileHost(
  virtualHost: VirtualHostConfig,
  resultListener: ListenerConfig,
  rules: RuleMap,
): PathIndex<RouteMatch> {
  const index = new PathIndex<RouteMatch>();
  virtualHost.matches.forEach((match, order) => {
    const rule = rules.get(match.rule);
    if (rule === undefined) return;
    const result = Object.freeze({
      listener: resultListener,
      virtualHost: virtualHost.hostname,
      match,
      rule,
    });
    index.add({ order, compiled: compileMatch(match), result });
  });
  return index;
}
