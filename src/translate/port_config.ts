/**
 * Programmed listeners and their attached routes → `PortConfig`s: listeners
 * of all Gateways merged per port, one `ListenerConfig` per (port, hostname),
 * one `VirtualHostConfig` per effective hostname with its matches in
 * precedence order.
 * @module
 */
import type { Gateway } from "../resources/gateway_types.ts";
import { compareIps } from "./address_pool.ts";
import {
  type CertificateConfig,
  type ListenerConfig,
  type ListenerProtocol,
  type PortConfig,
  socketKey,
  type TlsHostConfig,
  type VirtualHostConfig,
} from "../model/config.ts";
import { compareHostnameSpecificity } from "./hostname.ts";
import { isProgrammed } from "./listener.ts";
import type { ListenerState } from "./listener_state.ts";
import type { CompiledRoute } from "./route_rules.ts";
import type { TlsHostRoute } from "./tls_routes.ts";
import type { TranslateMemo } from "./translate_memo.ts";
import {
  type ListenerRoutes,
  routesOfHost,
  virtualHost,
  type VirtualHostSets,
} from "./virtual_host_sets.ts";

export type { ListenerRoutes } from "./virtual_host_sets.ts";

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
  /** Ids of rules referenced by some match in `ports` (without `hostSets`: those keep them). */
  usedRules: Set<string>;
}

/**
 * Builds the ports. `states` must be in Gateway precedence order (oldest
 * first): the first listener merged into an entry gives it its `id` and, for
 * HTTPS, its certificates. `bindAddresses` gives a Gateway's own addresses
 * (address pool): its listeners then get one entry per address, shared with
 * no other Gateway; `undefined` puts them on the shared listen host.
 * `hostSets` keeps each listener's virtual hosts for the next call and
 * builds again only those of the hostnames `routes` says changed.
 */
export function buildPorts(
  states: readonly ListenerState[],
  routes: ListenerRoutes,
  bindAddresses: (gateway: Gateway) => readonly string[] | undefined = () => undefined,
  tlsHostsByListener: ReadonlyMap<string, readonly TlsHostRoute[]> = new Map(),
  memo?: TranslateMemo,
  hostSets?: VirtualHostSets,
): PortsResult {
  const groups = new Map<string, { address?: string; states: ListenerState[] }>();
  for (const state of states) {
    if (!isProgrammed(state)) continue;
    for (const address of bindAddresses(state.gateway) ?? [undefined]) {
      const key = `${address ?? ""}|${state.listener.port}|${state.listener.hostname ?? ""}`;
      const group = groups.get(key) ?? { address, states: [] };
      group.states.push(state);
      groups.set(key, group);
    }
  }
  const bySocket = new Map<string, { address?: string; listeners: ListenerConfig[] }>();
  const certificates = new Map<string, CertificateConfig>();
  const usedRules = new Set<string>();
  for (const [groupKey, { address, states: group }] of groups) {
    const first = group[0];
    const protocol = first.protocol as ListenerProtocol;
    const ids = group.map((s) => s.id);
    const memoKey = `${groupKey}|${first.id}`;
    const listener: ListenerConfig = {
      id: first.id,
      ids,
      hostname: first.listener.hostname ?? null,
      port: first.listener.port,
      protocol,
      virtualHosts: hostSets
        ? hostSets.hostsOf(memoKey, ids, routes)
        : buildVirtualHosts(routes, ids, usedRules, memo, memoKey),
    };
    if (protocol === "TLS") {
      listener.tlsHosts = buildTlsHosts(group.flatMap((s) => tlsHostsByListener.get(s.id) ?? []));
    }
    if (protocol === "HTTPS" || (protocol === "TLS" && first.certificates.length > 0)) {
      listener.tls = { certificateIds: first.certificates.map((c) => c.id) };
      // Merged listeners of several Gateways share each connection: when any
      // of them validates client certificates, every connection is validated
      // (the first such listener's settings), rather than letting clients of
      // the Gateway that asked for it in unchecked.
      const validation = group.find((s) => s.clientValidation)?.clientValidation;
      if (validation) listener.tls.clientValidation = validation;
      for (const c of first.certificates) certificates.set(c.id, c);
    }
    const socket = socketKey({ address, port: listener.port });
    const entry = bySocket.get(socket) ?? { address, listeners: [] };
    entry.listeners.push(listener);
    bySocket.set(socket, entry);
  }
  const ports: PortConfig[] = [...bySocket.values()]
    .map(({ address, listeners }) => ({
      ...(address === undefined ? {} : { address }),
      port: listeners[0].port,
      protocol: listeners[0].protocol,
      listeners: listeners.sort((a, b) => compareHostnameSpecificity(a.hostname, b.hostname)),
    }))
    .sort((a, b) => a.port - b.port || compareAddresses(a.address, b.address));
  const sortedCertificates = [...certificates.values()].sort((
    a,
    b,
  ) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { ports, certificates: sortedCertificates, usedRules };
}

/** Orders addresses numerically; the shared listen host (no address) first. */
function compareAddresses(a: string | undefined, b: string | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  return compareIps(a, b);
}

function buildVirtualHosts(
  routes: ListenerRoutes,
  members: readonly string[],
  usedRules: Set<string>,
  memo: TranslateMemo | undefined,
  memoKey: string,
): VirtualHostConfig[] {
  const hostnames = new Set<string>();
  for (const id of members) for (const h of routes.hostnames(id)) hostnames.add(h);
  const hosts: VirtualHostConfig[] = [];
  for (const hostname of hostnames) {
    const list = routesOfHost(routes, members, hostname);
    // The same compiled routes in the same order make the same host: ranking
    // and sorting its matches is most of the cost, so it is done once.
    const host = memo === undefined
      ? virtualHost(hostname, list)
      : memo.virtualHost(`${memoKey}|${hostname}`, list, () => virtualHost(hostname, list));
    if (host.matches.length === 0) continue;
    for (const m of host.matches) usedRules.add(m.rule);
    hosts.push(host);
  }
  return hosts.sort((a, b) => compareHostnameSpecificity(a.hostname, b.hostname));
}

/** {@linkcode ListenerRoutes} over route lists by listener id (everything counts as changed). */
export function listenerRoutesOf(
  routesByListener: ReadonlyMap<string, readonly HostRoute[]>,
): ListenerRoutes {
  const byListener = new Map<string, Map<string, CompiledRoute[]>>();
  for (const [id, hostRoutes] of routesByListener) {
    const byHost = new Map<string, CompiledRoute[]>();
    for (const { hostname, route } of hostRoutes) {
      const list = byHost.get(hostname);
      if (list === undefined) byHost.set(hostname, [route]);
      else list.push(route);
    }
    byListener.set(id, byHost);
  }
  return {
    hostnames: (id) => byListener.get(id)?.keys() ?? [],
    routesAt: (id, hostname) => byListener.get(id)?.get(hostname) ?? [],
    changed: () => undefined,
  };
}

/**
 * One entry per SNI hostname, most specific first. Routes come oldest first,
 * so when two TLSRoutes claim the same hostname the older one keeps it.
 */
function buildTlsHosts(hostRoutes: readonly TlsHostRoute[]): TlsHostConfig[] {
  const byHost = new Map<string, TlsHostConfig>();
  for (const { hostname, route, rule } of hostRoutes) {
    if (!byHost.has(hostname)) byHost.set(hostname, { hostname, route, rule });
  }
  return [...byHost.values()].sort((a, b) => compareHostnameSpecificity(a.hostname, b.hostname));
}
