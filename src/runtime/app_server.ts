/**
 * How `runGateway` binds the admin and telemetry apps: through the data
 * plane's accept loop (cleartext), or over TLS (and mutual TLS with a client
 * CA) for `--admin-tls-*`, whose `node:https` server is loaded only then.
 * @module
 */
import { createConnectionWatcher, DEFAULT_CLIENT_TIMEOUTS } from "../dataplane/client_timeouts.ts";
import { serveConnections } from "../dataplane/connection_server.ts";
import type { Logger } from "../log/logger.ts";
import type { GatewayOptions } from "./gateway_options.ts";
import type { HttpApp } from "./gateway_parts.ts";

function formatAddr(addr: Deno.NetAddr): string {
  return addr.hostname.includes(":")
    ? `[${addr.hostname}]:${addr.port}`
    : `${addr.hostname}:${addr.port}`;
}

/** A server `runGateway` stops at shutdown. */
export interface StoppableServer {
  shutdown(): Promise<void>;
}

/** The admin app over TLS (and mutual TLS with a client CA), files read now. */
export async function serveAppTls(
  app: HttpApp,
  address: { hostname: string; port: number },
  tls: NonNullable<GatewayOptions["adminTls"]>,
  log: Logger,
): Promise<StoppableServer> {
  const read = (path: string, what: string) =>
    Deno.readTextFile(path).catch((error) => {
      throw new Error(`Cannot read the admin ${what} "${path}": ${error.message}`);
    });
  // Loaded only here: node:https is a sizeable part of start-up, for a setting few use.
  const { serveAdminTls } = await import("../admin/admin_tls_server.ts");
  const server = serveAdminTls((request) => app.fetch(request), {
    ...address,
    maxConnections: ADMIN_MAX_CONNECTIONS,
    handshakeTimeoutMs: DEFAULT_CLIENT_TIMEOUTS.headerMs,
    idleTimeoutMs: DEFAULT_CLIENT_TIMEOUTS.idleMs,
    cert: await read(tls.certFile, "TLS certificate"),
    key: await read(tls.keyFile, "TLS key"),
    clientCa: tls.clientCaFile === undefined
      ? undefined
      : await read(tls.clientCaFile, "client CA"),
    onListen: (addr) =>
      log.info("admin listening", {
        address: formatAddr({ ...addr, transport: "tcp" }),
        tls: true,
        clientCertificates: tls.clientCaFile !== undefined,
      }),
  }, log.child({ component: "admin" }));
  await server.listening;
  return server;
}

/** Open connections each of the admin and telemetry listeners serves at most. */
export const ADMIN_MAX_CONNECTIONS = 64;

/**
 * Binds an app through the same accept loop as the data plane: an accept
 * error (no descriptor left) is retried, never fatal, and a slow or idle
 * client is dropped by the default client timeouts.
 */
export function serveApp(
  app: HttpApp,
  address: { hostname: string; port: number },
  log: Logger,
  name: string,
): StoppableServer {
  const listener = Deno.listen({ hostname: address.hostname, port: address.port });
  log.info(`${name} listening`, { address: formatAddr(listener.addr as Deno.NetAddr) });
  const watcher = createConnectionWatcher({ timeouts: DEFAULT_CLIENT_TIMEOUTS });
  const server = serveConnections({
    listener,
    handler: (request) => app.fetch(request),
    onError: (error) => {
      log.error(`${name} request failed`, { error });
      return new Response("Internal Server Error\n", { status: 500 });
    },
    logger: log.child({ listener: name }),
    maxConnections: ADMIN_MAX_CONNECTIONS,
    watcher,
  });
  return {
    async shutdown() {
      await server.shutdown();
      watcher.stop();
    },
  };
}
