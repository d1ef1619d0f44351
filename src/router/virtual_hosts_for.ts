/**
 * Which virtual hosts of a listener apply to a host, in the order they are
 * tried, read straight from the config (no index).
 * @module
 */
import type { ListenerConfig, VirtualHostConfig } from "../model/config.ts";
import { hostnameMatches, isWildcard } from "../translate/hostname.ts";

/**
 * The virtual hosts of `listener` that apply to `host`, in the order the IR
 * contract tries them: the one named exactly `host`, then wildcards that
 * match it from most to fewest labels (`*.example.com` matches one or more
 * labels in place of `*`, never `example.com`), then `*`. If a name appears
 * twice, its first entry is used.
 *
 * @example
 * ```ts
 * import { virtualHostsFor } from "./virtual_hosts_for.ts";
 * const listener = {
 *   id: "l", ids: ["l"], hostname: null, port: 80, protocol: "HTTP" as const,
 *   virtualHosts: [{ hostname: "*", matches: [] }, { hostname: "*.example.com", matches: [] }],
 * };
 * virtualHostsFor(listener, "a.example.com").map((v) => v.hostname); // ["*.example.com", "*"]
 * ```
 */
export function virtualHostsFor(listener: ListenerConfig, host: string): VirtualHostConfig[] {
  const firstNamed = (name: string) => listener.virtualHosts.find((v) => v.hostname === name);
  const exact = firstNamed(host);
  const wildcards = listener.virtualHosts
    .filter((v) => isWildcard(v.hostname) && hostnameMatches(v.hostname, host))
    .filter((v) => firstNamed(v.hostname) === v)
    .sort((a, b) => labelCount(b.hostname) - labelCount(a.hostname));
  const any = firstNamed("*");
  return [exact, ...wildcards, any].filter((v): v is VirtualHostConfig => v !== undefined);
}

function labelCount(hostname: string): number {
  return hostname.split(".").length;
}
