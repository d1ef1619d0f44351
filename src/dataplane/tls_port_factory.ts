/**
 * The HTTPS `PortServerFactory` of the listener manager: binds an HTTPS port
 * with `serveTlsPort` and turns each config update into the port's new
 * certificate choice (a rotation only when some handshake would change).
 * With `reusePort` (one of several workers) every worker binds the public
 * port and keeps its own loopback TLS listener, relays and rotations.
 * @module
 */
import type { RouteTable } from "../router/router.ts";
import type { PortServer, PortServerFactory } from "./port_server.ts";
import { sniCertificatesFor } from "./sni.ts";
import { serveTlsPort } from "./tls_port_server.ts";
import type { SniSource } from "./tls_port_types.ts";
import { assertTlsInternals } from "./tls_server.ts";

/** Options of {@linkcode createHttpsServerFactory}. */
export interface HttpsServerFactoryOptions {
  /** Distinct server names one listener resolves before it is replaced. */
  maxResolvedNames?: number;
  /**
   * How each connection's listener is known (421 decisions). Default
   * `client-hello`: the SNI, read by a relay; `first-request` saves the
   * relay's cost but binds a connection to its first request's Host.
   */
  sniSource?: SniSource;
}

/**
 * An HTTPS factory that reads the current table (for 421 decisions) through
 * `getTable`.
 *
 * @example
 * ```ts
 * import { createListenerManager } from "./listeners.ts";
 * import { createHttpsServerFactory } from "./tls_port_factory.ts";
 * import type { RouteTable } from "../router/router.ts";
 * declare const getTable: () => RouteTable | undefined;
 * createListenerManager({ getTable, servers: { HTTPS: createHttpsServerFactory(getTable) } });
 * ```
 */
export function createHttpsServerFactory(
  getTable: () => RouteTable | undefined,
  options: HttpsServerFactoryOptions = {},
): PortServerFactory {
  return (context): PortServer => {
    // Fails the bind (reported in the port's state) rather than serving
    // without SNI on a Deno whose internals changed.
    assertTlsInternals();
    const server = serveTlsPort({
      hostname: context.hostname,
      port: context.port,
      address: context.portConfig.address,
      // Shared by the workers (`--workers`); otherwise the server's own default.
      reusePort: context.reusePort || undefined,
      certificates: sniCertificatesFor(context.portConfig, context.certificates),
      getTable,
      handler: context.handler,
      logger: context.logger,
      maxResolvedNames: options.maxResolvedNames,
      sniSource: options.sniSource,
      budget: context.budget,
      maxConnections: context.maxConnections,
      watcher: context.watcher,
    });
    return {
      shutdown: () => server.shutdown(),
      update: (portConfig, certificates) =>
        server.update(sniCertificatesFor(portConfig, certificates)),
    };
  };
}
