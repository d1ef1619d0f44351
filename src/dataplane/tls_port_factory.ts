/**
 * The HTTPS `PortServerFactory` of the listener manager: binds an HTTPS port
 * with `serveTlsPort` and turns each config update into the port's new
 * certificate choice (a rotation only when some handshake would change).
 * A port without client-certificate listeners is served without the
 * ClientHello relay (`tls_sni_choice.ts`); when its listeners change so that the other way is
 * needed, the port is bound again that way. With `reusePort` (one of several
 * workers) every worker binds the public port and keeps its own listeners,
 * relays and rotations.
 * @module
 */
import type { RouteTable } from "../router/router.ts";
import type { PortServer, PortServerFactory } from "./port_server.ts";
import { sniCertificatesFor } from "./sni.ts";
import type { CertificateConfig, PortConfig } from "../model/config.ts";
import { serveTlsPort } from "./tls_port_server.ts";
import type { SniSource, TlsPortServer } from "./tls_port_types.ts";
import { clientCertificateDemand, sniSourceFor } from "./tls_sni_choice.ts";
import { assertTlsInternals } from "./tls_server.ts";

/** Options of {@linkcode createHttpsServerFactory}. */
export interface HttpsServerFactoryOptions {
  /** Distinct server names one listener resolves before it is replaced. */
  maxResolvedNames?: number;
  /**
   * How each connection's listener is known (421 decisions). Default: per
   * port, `sniSourceFor` (`tls_sni_choice.ts`): the relay (`client-hello`)
   * only where several listeners or client certificates need the SNI.
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
  return async (context): Promise<PortServer> => {
    // Fails the bind (reported in the port's state) rather than serving
    // without SNI on a Deno whose internals changed.
    assertTlsInternals();
    // The closures below live as long as the port: they keep these fields,
    // not the context, whose port config and certificates (every host of the
    // generation that bound the port) would otherwise stay alive with them.
    const { hostname, port, reusePort, handler, logger, budget, maxConnections } = context;
    const { watcher, upgrades, grpcKind, observer, http1Engine, fields } = context;
    const { address } = context.portConfig;
    const serve = (portConfig: PortConfig, certificates: CertificateConfig[]) =>
      serveTlsPort({
        hostname,
        port,
        address,
        // Shared by the workers (`--workers`); otherwise the server's own default.
        reusePort: reusePort || undefined,
        certificates: sniCertificatesFor(portConfig, certificates),
        getTable,
        handler,
        fields,
        logger,
        maxResolvedNames: options.maxResolvedNames,
        sniSource: options.sniSource ?? sniSourceFor(portConfig),
        clientCertificates: clientCertificateDemand(portConfig),
        budget,
        maxConnections,
        watcher,
        upgrades,
        grpcKind,
        observer,
        http1Engine,
      });
    let server = serve(context.portConfig, context.certificates);
    await server.ready;
    // Servers of a former `SniSource` whose connections are still open.
    let retired: TlsPortServer[] = [];
    return {
      shutdown: async () => {
        await Promise.all([server, ...retired].map((s) => s.shutdown()));
      },
      update: async (portConfig, certificates) => {
        const wanted = options.sniSource ?? sniSourceFor(portConfig);
        // A change of how handshakes ask for client certificates binds a new server too.
        const demand = wanted === "client-handshake"
          ? clientCertificateDemand(portConfig)
          : undefined;
        if (wanted === server.sniSource && demand === server.clientCertificates) {
          return server.update(sniCertificatesFor(portConfig, certificates));
        }
        const old = server;
        server = await switchSniSource(old, () => serve(portConfig, certificates));
        for (const done of retired.filter((s) => s.connections() === 0)) void done.shutdown();
        retired = [...retired.filter((s) => s.connections() > 0), old];
        logger.info("HTTPS port rebound for its listeners", {
          port,
          sniSource: wanted,
        });
      },
    };
  };
}

/**
 * A server of the other `SniSource` on the port of `old`, which stops
 * accepting: the new one binds beside the old when both sockets allow
 * `SO_REUSEPORT`, else once the old released the port. Connections of `old`
 * stay open until its `shutdown`. Throws when the port cannot be bound.
 */
async function switchSniSource(
  old: TlsPortServer,
  bind: () => TlsPortServer,
): Promise<TlsPortServer> {
  try {
    const next = bind();
    await next.ready;
    void old.stopAccepting();
    return next;
  } catch {
    // The old socket holds the port alone: release it first.
  }
  await old.stopAccepting();
  const next = bind();
  await next.ready;
  return next;
}
