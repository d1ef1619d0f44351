/**
 * SNI → TLSRoute on one TLS port: the most specific listener whose hostname
 * matches the server name takes the connection (listener isolation, as for
 * HTTP hosts), then the most specific of its route hostnames: exact, then
 * wildcards with more labels first. Lookup cost grows with the labels of
 * the name, not with the number of hostnames. A TLS listener with `tls`
 * (certificates) terminates; one without passes through.
 * @module
 */
import type { ListenerConfig, PortConfig, TlsHostConfig } from "../model/config.ts";
import { HostIndex } from "../router/host_index.ts";

/** The listener that took a server name, and its route for it (absent: none). */
export interface PassthroughTarget {
  /** Listener id. */
  listener: string;
  host?: TlsHostConfig;
  /** The listener terminates TLS (mode Terminate) instead of passing it through. */
  terminate: boolean;
}

/** Finds the target of a server name on one port; built once per config. */
export interface PassthroughRoutes {
  /**
   * The route for `serverName` (lower case; `""` when the client sent no
   * SNI), or `undefined`: no listener takes the name, or none of its routes.
   */
  find(serverName: string): PassthroughTarget | undefined;
}

/**
 * Compiles the TLS listeners of `port` (listeners of another protocol are
 * ignored).
 *
 * @example
 * ```ts
 * import { compilePassthroughRoutes } from "./tls_passthrough_routes.ts";
 * import type { PortConfig } from "../model/config.ts";
 * declare const port: PortConfig;
 * compilePassthroughRoutes(port).find("db.example.com")?.host?.rule.backends;
 * ```
 */
export function compilePassthroughRoutes(port: PortConfig): PassthroughRoutes {
  const listeners = new HostIndex<{ config: ListenerConfig; hosts: HostIndex<TlsHostConfig> }>();
  for (const listener of port.listeners) {
    if (listener.protocol !== "TLS") continue;
    const hosts = new HostIndex<TlsHostConfig>();
    for (const host of listener.tlsHosts ?? []) hosts.add(host.hostname, host);
    listeners.add(listener.hostname, { config: listener, hosts });
  }
  return {
    find(serverName) {
      const listener = listeners.first(serverName);
      if (listener === undefined) return undefined;
      const host = listener.hosts.first(serverName);
      const terminate = listener.config.tls !== undefined;
      return host === undefined
        ? { listener: listener.config.id, terminate }
        : { listener: listener.config.id, host, terminate };
    },
  };
}
