/**
 * The `TLS` `PortServerFactory` of the listener manager: a TLS Passthrough
 * port (`tls_passthrough.ts`) whose routes follow each config update.
 * @module
 */
import { createBackendPicker } from "./backend_picker.ts";
import type { PortServer, PortServerFactory } from "./port_server.ts";
import { type PassthroughTimeouts, serveTlsPassthrough } from "./tls_passthrough.ts";

/**
 * A factory for TLS Passthrough ports with the given timeouts (absent ones:
 * the defaults).
 *
 * @example
 * ```ts
 * import { createListenerManager } from "./listeners.ts";
 * import { createPassthroughServerFactory } from "./tls_passthrough_factory.ts";
 * createListenerManager({ getTable: () => undefined, servers: { TLS: createPassthroughServerFactory() } });
 * ```
 */
export function createPassthroughServerFactory(
  timeouts: Partial<PassthroughTimeouts> = {},
): PortServerFactory {
  return (context): PortServer => {
    const server = serveTlsPassthrough({
      hostname: context.hostname,
      port: context.port,
      reusePort: context.reusePort,
      portConfig: context.portConfig,
      certificates: context.certificates,
      picker: context.picker ?? createBackendPicker(),
      logger: context.logger,
      observer: context.observer,
      budget: context.budget,
      maxConnections: context.maxConnections,
      timeouts,
    });
    return {
      shutdown: () => server.shutdown(),
      update: (portConfig, certificates) => server.update(portConfig, certificates),
    };
  };
}
