/**
 * Programmed listeners and their attached routes → `PortConfig`s: listeners
 * of all Gateways merged per port, one `ListenerConfig` per (port, hostname),
 * one `VirtualHostConfig` per effective hostname with its matches in
 * precedence order.
 * @module
 */
import type { CertificateConfig, ListenerConfig, PortConfig, VirtualHostConfig } from "./config.ts";
import { timestampMs } from "./context.ts";
import { compareHostnameSpecificity } from "./hostname.ts";
import { isProgrammed, type ListenerState } from "./listener.ts";
import { type RankedMatch, sortMatches } from "./precedence.ts";
import type { CompiledRoute } from "./route_rules.ts";

/** A route serving one hostname on one listener. */
export interface HostRoute {
  hostname: string;
  route: CompiledRoute;
}

/** What {@linkcode buildPorts} produces. */
export interface PortsResult {
  ports: PortConfig[];
  /** Certificates used by programmed HTTPS listeners, by id, sorted. */
  certificates: CertificateConfig[];
  /** Ids of rules referenced by some match in `ports`. */
  usedRules: Set<string>;
}

/**
 * Builds the ports. `states` must be in Gateway precedence order (oldest
 * first): the first listener merged into an entry gives it its `id` and, for
 * HTTPS, its certificates.
 */
export function buildPorts(
  states: readonly ListenerState[],
  routesByListener: ReadonlyMap<string, readonly HostRoute[]>,
): PortsResult {
  const groups = new Map<string, ListenerState[]>();
  for (const state of states) {
    if (!isProgrammed(state)) continue;
    const key = `${state.listener.port}|${state.listener.hostname ?? ""}`;
    groups.set(key, [...(groups.get(key) ?? []), state]);
  }
  const byPort = new Map<number, ListenerConfig[]>();
  const certificates = new Map<string, CertificateConfig>();
  const usedRules = new Set<string>();
  for (const group of groups.values()) {
    const first = group[0];
    const protocol = first.protocol as "HTTP" | "HTTPS";
    const hostRoutes = group.flatMap((s) => routesByListener.get(s.id) ?? []);
    const listener: ListenerConfig = {
      id: first.id,
      ids: group.map((s) => s.id),
      hostname: first.listener.hostname ?? null,
      port: first.listener.port,
      protocol,
      virtualHosts: buildVirtualHosts(hostRoutes, usedRules),
    };
    if (protocol === "HTTPS") {
      listener.tls = { certificateIds: first.certificates.map((c) => c.id) };
      for (const c of first.certificates) certificates.set(c.id, c);
    }
    byPort.set(listener.port, [...(byPort.get(listener.port) ?? []), listener]);
  }
  const ports: PortConfig[] = [...byPort.entries()]
    .sort(([a], [b]) => a - b)
    .map(([port, listeners]) => ({
      port,
      protocol: listeners[0].protocol,
      listeners: listeners.sort((a, b) => compareHostnameSpecificity(a.hostname, b.hostname)),
    }));
  const sortedCertificates = [...certificates.values()].sort((
    a,
    b,
  ) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { ports, certificates: sortedCertificates, usedRules };
}

function buildVirtualHosts(
  hostRoutes: readonly HostRoute[],
  usedRules: Set<string>,
): VirtualHostConfig[] {
  const byHost = new Map<string, Map<string, RankedMatch>>();
  for (const { hostname, route } of hostRoutes) {
    const createdAt = timestampMs(route.route.metadata.creationTimestamp);
    const matches = byHost.get(hostname) ?? new Map<string, RankedMatch>();
    byHost.set(hostname, matches);
    for (const rule of route.rules) {
      rule.matches.forEach((match, matchIndex) => {
        // A route attached through several parentRefs or merged listeners appears once.
        if (matches.has(match.id)) return;
        matches.set(match.id, {
          match,
          createdAt,
          ruleIndex: rule.index,
          matchIndex,
        });
      });
    }
  }
  const hosts: VirtualHostConfig[] = [];
  for (const [hostname, matches] of byHost) {
    const sorted = sortMatches([...matches.values()]);
    if (sorted.length === 0) continue;
    for (const m of sorted) usedRules.add(m.rule);
    hosts.push({ hostname, matches: sorted });
  }
  return hosts.sort((a, b) => compareHostnameSpecificity(a.hostname, b.hostname));
}
