/**
 * The virtual hosts of each merged listener and the rules they use, kept
 * from one translate to the next: when `route_attachments.ts` says which
 * hostnames of which listener changed, only those virtual hosts are built
 * again; the rest, the sorted list they form and the rule map keep their
 * objects (the route table compiler then reuses their compiled forms).
 * @module
 */
import type { RuleConfig, VirtualHostConfig } from "../model/config.ts";
import { type RuleMap, RuleMapBuilder } from "../model/rule_map.ts";
import { timestampMs } from "./context.ts";
import { deepFreeze } from "./deep_freeze.ts";
import { listTrail, withListTrail } from "../model/list_trail.ts";
import { compareHostnameSpecificity } from "./hostname.ts";
import { type RankedMatch, sortMatches } from "./precedence.ts";
import type { CompiledRoute } from "./route_rules.ts";

/** The routes attached to each listener by hostname, and what changed since the last translate. */
export interface ListenerRoutes {
  /** The hostnames some route serves on the listener with this id. */
  hostnames(listener: string): Iterable<string>;
  /** The routes serving `hostname` on the listener with this id. */
  routesAt(listener: string, hostname: string): readonly CompiledRoute[];
  /** Hostnames whose routes changed on the listener; `undefined`: any may have. */
  changed(listener: string): ReadonlySet<string> | undefined;
}

/** One host's matches, from the routes serving it, in precedence order. */
export function virtualHost(hostname: string, routes: readonly CompiledRoute[]): VirtualHostConfig {
  const matches = new Map<string, RankedMatch>();
  for (const route of routes) {
    const createdAt = timestampMs(route.route.metadata.creationTimestamp);
    for (const rule of route.rules) {
      rule.matches.forEach((match, matchIndex) => {
        // A route attached through several parentRefs or merged listeners appears once.
        if (matches.has(match.id)) return;
        matches.set(match.id, { match, createdAt, ruleIndex: rule.index, matchIndex });
      });
    }
  }
  return { hostname, matches: sortMatches([...matches.values()]) };
}

/** The routes of `hostname` over the listeners merged into one entry. */
export function routesOfHost(
  routes: ListenerRoutes,
  members: readonly string[],
  hostname: string,
): CompiledRoute[] {
  const out: CompiledRoute[] = [];
  for (const id of members) out.push(...routes.routesAt(id, hostname));
  return out;
}

interface GroupHosts {
  byHost: Map<string, VirtualHostConfig>;
  sorted: readonly VirtualHostConfig[];
}

/** The kept virtual hosts and rules; one instance lives in the memo. See the module doc. */
export class VirtualHostSets {
  #groups = new Map<string, GroupHosts>();
  /**
   * How many kept virtual hosts use each rule, by id; the rule itself is in
   * `#output` (a count, not a record beside it: one small integer a rule).
   */
  #uses = new Map<string, number>();
  #output = new RuleMapBuilder();

  /** Forgets everything (every listener's hosts are built anew next). */
  clear(): void {
    this.#groups.clear();
    this.#uses.clear();
    this.#output = new RuleMapBuilder();
  }

  /**
   * The virtual hosts, most specific first, of the listeners `members`
   * merged under `key`: the kept list when none of their hostnames changed.
   */
  hostsOf(key: string, members: readonly string[], routes: ListenerRoutes): VirtualHostConfig[] {
    const changed = members.map((id) => routes.changed(id));
    let group = this.#groups.get(key);
    if (group === undefined || changed.some((c) => c === undefined)) {
      if (group !== undefined) { for (const host of group.byHost.values()) this.#release(host); }
      group = { byHost: new Map(), sorted: [] };
      this.#groups.set(key, group);
      const hostnames = new Set<string>();
      for (const id of members) for (const h of routes.hostnames(id)) hostnames.add(h);
      for (const hostname of hostnames) this.#build(group, routes, members, hostname);
      group.sorted = deepFreeze(
        [...group.byHost.values()]
          .sort((a, b) => compareHostnameSpecificity(a.hostname, b.hostname)),
      );
      return group.sorted as VirtualHostConfig[];
    }
    const dirty = new Set<string>();
    for (const set of changed) for (const hostname of set!) dirty.add(hostname);
    if (dirty.size === 0) return group.sorted as VirtualHostConfig[];
    const sorted = [...group.sorted];
    const gone: VirtualHostConfig[] = [];
    const upserts: VirtualHostConfig[] = [];
    for (const hostname of dirty) {
      const old = group.byHost.get(hostname);
      if (old !== undefined) {
        sorted.splice(indexOf(sorted, hostname), 1);
        this.#release(old);
        group.byHost.delete(hostname);
        gone.push(old);
      }
      const built = this.#build(group, routes, members, hostname);
      if (built === undefined) continue;
      sorted.splice(indexOf(sorted, hostname), 0, deepFreeze(built));
      upserts.push(built);
    }
    // What changed, for the route table compiler and the ports (`model/list_trail.ts`).
    withListTrail(sorted, { since: group.sorted, gone, upserts });
    const before = listTrail(group.sorted);
    if (before !== undefined) before.since = undefined;
    group.sorted = Object.freeze(sorted);
    return sorted;
  }

  /**
   * Every rule some kept virtual host uses, by id: the same map while no
   * rule changed, else a version sharing the unchanged entries. (The
   * configs were frozen as they came in, `#build`; the map freezes itself.)
   */
  rules(): RuleMap {
    return this.#output.snapshot();
  }

  #build(
    group: GroupHosts,
    routes: ListenerRoutes,
    members: readonly string[],
    hostname: string,
  ): VirtualHostConfig | undefined {
    const list = routesOfHost(routes, members, hostname);
    if (list.length === 0) return undefined;
    const host = virtualHost(hostname, list);
    if (host.matches.length === 0) return undefined;
    group.byHost.set(hostname, host);
    const configs = new Map<string, RuleConfig>();
    for (const route of list) {
      for (const rule of route.rules) configs.set(rule.config.id, rule.config);
    }
    for (const match of host.matches) {
      // The builder keeps its version when the rule is the same object.
      this.#output.set(match.rule, deepFreeze(configs.get(match.rule)!));
      this.#uses.set(match.rule, (this.#uses.get(match.rule) ?? 0) + 1);
    }
    return host;
  }

  #release(host: VirtualHostConfig): void {
    for (const match of host.matches) {
      const uses = this.#uses.get(match.rule)! - 1;
      if (uses > 0) {
        this.#uses.set(match.rule, uses);
        continue;
      }
      this.#uses.delete(match.rule);
      this.#output.delete(match.rule);
    }
  }
}

/** Where a host named `hostname` is, or goes, in a list sorted by specificity. */
function indexOf(sorted: readonly VirtualHostConfig[], hostname: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareHostnameSpecificity(sorted[mid].hostname, hostname) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}
