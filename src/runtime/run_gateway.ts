/**
 * `runGateway`: wires source → reconciler → data plane, binds the admin and
 * telemetry apps, and runs until SIGTERM/SIGINT (or `shutdown` aborts), then
 * drains: readiness turns 503 at once, listeners keep accepting for
 * `drainDelayMs` (load balancers need time to notice), then stop accepting and
 * in-flight requests get up to `shutdownTimeoutMs` to finish.
 *
 * @example
 * ```ts ignore
 * import { runGateway } from "./run_gateway.ts";
 * import { createDefaultParts } from "../gateway.ts";
 * const code = await runGateway(options, createDefaultParts());
 * ```
 * @module
 */
import { createConnectionWatcher, DEFAULT_CLIENT_TIMEOUTS } from "../dataplane/client_timeouts.ts";
import { serveConnections } from "../dataplane/connection_server.ts";
import { createLogger, type Logger } from "../log/logger.ts";
import type { Source } from "../source/source.ts";
import { serveAdminTls } from "../admin/admin_tls_server.ts";
import { gatewayAddressesFor } from "./gateway_addresses.ts";
import type { GatewayOptions } from "./gateway_options.ts";
import type { GatewayParts, HttpApp, PartContext, StatusWriterPart } from "./gateway_parts.ts";
import { createReconciler } from "./reconciler.ts";
import { createRuntimeGatewayState } from "./runtime_gateway_state.ts";
import { waitForShutdown } from "./shutdown_signal.ts";
import { resolveSourceKind } from "./source_kind.ts";

/** Extra knobs of {@linkcode runGateway}, mostly for tests. */
export interface RunGatewayExtras {
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /** Aborting it starts the shutdown like SIGTERM. */
  shutdown?: AbortSignal;
  /** Listen to SIGTERM/SIGINT (default true). */
  signals?: boolean;
  /** Version string for the startup line. */
  version?: string;
}

function formatAddr(addr: Deno.NetAddr): string {
  return addr.hostname.includes(":")
    ? `[${addr.hostname}]:${addr.port}`
    : `${addr.hostname}:${addr.port}`;
}

/** A server `runGateway` stops at shutdown. */
interface StoppableServer {
  shutdown(): Promise<void>;
}

/** The admin app over TLS (and mutual TLS with a client CA), files read now. */
async function serveAppTls(
  app: HttpApp,
  address: { hostname: string; port: number },
  tls: NonNullable<GatewayOptions["adminTls"]>,
  log: Logger,
): Promise<StoppableServer> {
  const read = (path: string, what: string) =>
    Deno.readTextFile(path).catch((error) => {
      throw new Error(`Cannot read the admin ${what} "${path}": ${error.message}`);
    });
  const server = serveAdminTls((request) => app.fetch(request), {
    ...address,
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
function serveApp(
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

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

/** Runs the gateway until shutdown; resolves with the process exit code. */
export async function runGateway(
  options: GatewayOptions,
  parts: GatewayParts,
  extras: RunGatewayExtras = {},
): Promise<number> {
  const env = extras.env ?? Deno.env.toObject();
  const logger = extras.logger ??
    createLogger({ level: options.logLevel, format: options.logFormat });
  const log = logger.child({ component: "runtime" });
  const ctx: PartContext = { options, logger, env };
  const resolved = resolveSourceKind(options, env);
  log.info("starting serval-k8s-gateway", {
    version: extras.version,
    deno: Deno.version.deno,
    pid: Deno.pid,
    source: resolved.kind,
    sourceMode: resolved.mode,
    sourceReason: resolved.reason,
    manifests: resolved.kind === "files" ? options.manifests : undefined,
    controllerName: options.controllerName,
  });

  // Shutdown can be asked for from the first moment on (even while syncing).
  const shutdown = waitForShutdown({ signal: extras.shutdown, signals: extras.signals ?? true });
  let draining = false;
  let synced = false;
  const servers: StoppableServer[] = [];
  let source: Source | undefined;
  let statusWriter: StatusWriterPart | undefined;

  try {
    const metrics = parts.createMetrics(ctx);
    const store = parts.createStore();
    source = await parts.createSource(resolved, store, ctx);
    const src = source;
    // The data plane reads the table through this function on every request;
    // `reconciler` is assigned before any port is bound.
    // deno-lint-ignore prefer-const
    let reconciler: ReturnType<typeof createReconciler>;
    const listenerManager = parts.createListenerManager(() => reconciler.table(), metrics, ctx);
    if (resolved.kind === "kube" && parts.createStatusWriter) {
      statusWriter = await parts.createStatusWriter(src, ctx);
    }
    reconciler = createReconciler({
      source: src,
      translate: parts.translate,
      compile: parts.compile,
      translateOptions: () => ({
        controllerName: options.controllerName,
        now: new Date().toISOString(),
        ...(options.gatewayAddressPool === undefined
          ? { gatewayAddresses: gatewayAddressesFor(options, store) }
          : { addressPool: options.gatewayAddressPool }),
      }),
      applyListeners: (result) => listenerManager.reconcile(result),
      observer: { rebuilt: (attempt) => metrics.rebuilt(attempt) },
      statusSink: statusWriter ? (result) => statusWriter?.sink(result) : undefined,
      logger: logger.child({ component: "reconciler" }),
    });
    const { state, control } = createRuntimeGatewayState({
      source: src,
      reconciler,
      draining: () => draining,
      synced: () => synced,
      extra: statusWriter?.extra ? () => statusWriter?.extra?.() ?? {} : undefined,
    });

    // Admin first, so /healthz and /readyz answer while the source syncs.
    const adminApp = parts.createAdminApp({ state, control, metrics }, ctx);
    servers.push(
      options.adminTls
        ? await serveAppTls(adminApp, options.adminAddr, options.adminTls, log)
        : serveApp(adminApp, options.adminAddr, log, "admin"),
    );
    if (options.telemetryAddr) {
      servers.push(
        serveApp(
          parts.createTelemetryApp({ state, metrics }, ctx),
          options.telemetryAddr,
          log,
          "telemetry",
        ),
      );
    } else {
      log.info("telemetry listener disabled");
    }

    const syncing = src.start().then(() => {
      synced = true;
      for (const [kind, s] of Object.entries(src.syncState())) metrics.sourceSynced(kind, s.synced);
      return "synced" as const;
    });
    const first = await Promise.race([syncing, shutdown.promise]);
    if (first === "synced") {
      const outcome = await reconciler.start();
      const ports = reconciler.listeners();
      log.info("gateway started", {
        generation: outcome.generation,
        ok: outcome.ok,
        ports: ports.map((p) => ({
          address: p.address,
          port: p.port,
          protocol: p.protocol,
          bound: p.bound,
        })),
      });
      await shutdown.promise;
    }

    // Drain: readiness first, so load balancers stop sending new connections
    // while the ones already routed here still succeed.
    draining = true;
    log.info("shutting down: readiness is now 503", {
      signal: shutdown.reason(),
      drainDelayMs: options.drainDelayMs,
      shutdownTimeoutMs: options.shutdownTimeoutMs,
    });
    await sleep(options.drainDelayMs, shutdown.forced);
    reconciler.stop();
    log.info("stopping listeners; waiting for in-flight requests");
    const forced = new Promise<false>((resolve) => {
      if (shutdown.forced.aborted) resolve(false);
      shutdown.forced.addEventListener("abort", () => resolve(false), { once: true });
    });
    const drained = await Promise.race([
      listenerManager.shutdown({ graceMs: options.shutdownTimeoutMs }),
      forced,
    ]);
    if (!drained && shutdown.forced.aborted) {
      // Not a timeout: nobody waited, so saying requests "did not finish" would mislead.
      log.warn("second signal: exiting without waiting for in-flight requests");
    } else if (!drained) {
      log.warn("in-flight requests did not finish in time; exiting anyway", {
        shutdownTimeoutMs: options.shutdownTimeoutMs,
      });
    }
    await stopQuietly(log, statusWriter, source, servers);
    log.info("stopped");
    return 0;
  } catch (error) {
    log.error("cannot run the gateway", {
      error,
      stack: error instanceof Error ? error.stack : undefined,
    });
    await stopQuietly(log, statusWriter, source, servers);
    return 1;
  } finally {
    shutdown.dispose();
  }
}

async function stopQuietly(
  log: Logger,
  statusWriter: StatusWriterPart | undefined,
  source: Source | undefined,
  servers: StoppableServer[],
): Promise<void> {
  const steps: [string, () => Promise<void> | undefined][] = [
    ["status writer", () => statusWriter?.stop()],
    ["source", () => source?.stop()],
    ...servers.map((s, i) => [`server ${i}`, () => s.shutdown()] as [string, () => Promise<void>]),
  ];
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (error) {
      log.warn(`cannot stop ${name} cleanly`, { error });
    }
  }
}
