/**
 * `runGateway`: wires source → reconciler → data plane, binds the admin and
 * telemetry apps, and runs until SIGTERM/SIGINT (or `shutdown` aborts), then
 * drains: readiness turns 503 at once, listeners keep accepting for
 * `drainDelayMs` (load balancers need time to notice), then stop accepting and
 * in-flight requests get up to `shutdownTimeoutMs` to finish.
 *
 * @example
 * ```ts
 * import { runGateway } from "./run_gateway.ts";
 * import type { GatewayOptions } from "./gateway_options.ts";
 * import type { GatewayParts } from "./gateway_parts.ts";
 * // The composition root (`src/gateway.ts`) supplies the real parts.
 * declare const options: GatewayOptions, parts: GatewayParts;
 * const code = await runGateway(options, parts);
 * ```
 * @module
 */
import { createLogger, type Logger } from "../log/logger.ts";
import type { Source } from "../source/source.ts";
import type { Store } from "../source/store.ts";
import { serveApp, serveAppTls, type StoppableServer } from "./app_server.ts";
import { gatewayAddressesFor } from "./gateway_addresses.ts";
import type { GatewayOptions } from "./gateway_options.ts";
import type {
  GatewayParts,
  KubePart,
  ListenerManagerPart,
  MetricsPart,
  PartContext,
  SourceMetrics,
  StatusWriterPart,
} from "./gateway_parts.ts";
import { createReconciler, type Reconciler } from "./reconciler.ts";
import { type FirstStatusLater, firstStatusLater } from "./first_status_later.ts";
import type { RebuildState } from "../admin/gateway_state.ts";
import { createRuntimeGatewayState } from "./runtime_gateway_state.ts";
import { ServedTable } from "./served_table.ts";
import { SourceMetricsRelay } from "./source_metrics_relay.ts";
import { type ShutdownWaiter, waitForShutdown } from "./shutdown_signal.ts";
import { type ResolvedSource, resolveSourceKind } from "./source_kind.ts";
import { systemClock } from "../time/clock.ts";
import { AllocatorTrim, mallocTrim } from "./allocator_trim.ts";
import type { IdleCollectorSettings } from "../dataplane/idle_collector.ts";
import { startCollectorLater } from "./collector_later.ts";

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
  /** The idle collector's sampling and thresholds (tests); the defaults otherwise. */
  idleCollector?: IdleCollectorSettings;
}

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
  const flags = { draining: false, synced: false };
  const owned: Owned = { servers: [] };
  let collector: { stop(): void } | undefined;
  try {
    const relay = new SourceMetricsRelay();
    const opened = await openSource(parts, resolved, relay, ctx, owned);
    // The source lists before the rest of the gateway is built: the API
    // server's answer is on the way to the first table, and the modules behind
    // the other parts (translate, the data plane, prom-client, Hono) load
    // while it comes.
    const syncing = opened.source.start().then(() => {
      flags.synced = true;
      return "synced" as const;
    });
    // Awaited below; until then a rejection must not count as unhandled.
    syncing.catch(() => {});
    const built = await buildParts(parts, opened, ctx, owned);
    relay.attach(built.metrics);
    await serveApps(parts, built, flags, ctx, owned);
    const { source, metrics, reconciler } = built;
    const first = await Promise.race([syncing, shutdown.promise]);
    if (first === "synced") {
      for (const [kind, s] of Object.entries(source.syncState())) {
        metrics.sourceSynced(kind, s.synced);
      }
      logStarted(log, await reconciler.start(), reconciler);
      collector = startCollectorLater(log, owned.trimmer, extras.idleCollector);
      await shutdown.promise;
    }
    flags.draining = true;
    await drain(built, shutdown, options, log);
    await stopQuietly(log, owned);
    log.info("stopped");
    return 0;
  } catch (error) {
    log.error("cannot run the gateway", {
      error,
      stack: error instanceof Error ? error.stack : undefined,
    });
    await stopQuietly(log, owned);
    return 1;
  } finally {
    collector?.stop();
    shutdown.dispose();
  }
}

function logStarted(log: Logger, outcome: RebuildState, reconciler: Reconciler): void {
  log.info("gateway started", {
    generation: outcome.generation,
    ok: outcome.ok,
    ports: reconciler.listeners().map((p) => ({
      address: p.address,
      port: p.port,
      protocol: p.protocol,
      bound: p.bound,
    })),
  });
}

/** The parts `runGateway` built, each once. */
interface Built {
  metrics: MetricsPart;
  store: Store;
  source: Source;
  listenerManager: ListenerManagerPart;
  statusWriter?: StatusWriterPart;
  reconciler: Reconciler;
}

/** The store, the Kubernetes connection and the source, made before anything else. */
interface OpenedSource {
  store: Store;
  kube?: KubePart;
  source: Source;
}

async function openSource(
  parts: GatewayParts,
  resolved: ResolvedSource,
  metrics: SourceMetrics,
  ctx: PartContext,
  owned: Owned,
): Promise<OpenedSource> {
  const store = parts.createStore();
  const kube = owned.kube = resolved.kind === "kube" ? await parts.connectKube(ctx) : undefined;
  const source = owned.source = await parts.createSource(resolved, { store, metrics, kube }, ctx);
  return { store, kube, source };
}

/**
 * Builds every other part once, in the one order the types allow: each
 * factory takes the parts made before it. The served table comes before the
 * listener manager (which reads it) and the reconciler (which swaps it), so
 * neither waits for the other to be filled in.
 */
async function buildParts(
  parts: GatewayParts,
  { store, kube, source }: OpenedSource,
  ctx: PartContext,
  owned: Owned,
): Promise<Built> {
  const { options, logger } = ctx;
  const pipeline = await parts.createPipeline(ctx);
  const metrics = await parts.createMetrics(ctx);
  const served = new ServedTable();
  const trimmer = owned.trimmer = allocatorTrimFor(logger);
  const listenerManager = await parts.createListenerManager(
    { table: () => served.current(), metrics, afterIdleCollection: () => trimmer?.arm() },
    ctx,
  );
  const statusWriter = owned.statusWriter = kube && parts.createStatusWriter
    ? await parts.createStatusWriter(
      { store, kube, metrics: trimmer ? withTrimAfterWrites(metrics, trimmer) : metrics },
      ctx,
    )
    : undefined;
  // The first table's requests before its statuses (`first_status_later.ts`).
  const statusLater = owned.statusLater = statusWriter &&
    firstStatusLater(
      (result) => statusWriter.sink(result),
      systemClock,
      (error) => logger.child({ component: "runtime" }).error("status sink failed", { error }),
    );
  const reconciler = createReconciler({
    source,
    served,
    translate: pipeline.translate,
    compile: pipeline.compile,
    translateOptions: () => ({
      controllerName: options.controllerName,
      now: new Date().toISOString(),
      ...(options.gatewayAddressPool === undefined
        ? { gatewayAddresses: gatewayAddressesFor(options, store) }
        : { addressPool: options.gatewayAddressPool }),
    }),
    applyListeners: (result) => listenerManager.reconcile(result),
    observer: {
      rebuilt: (attempt) => {
        metrics.rebuilt(attempt);
        if (attempt.ok) trimmer?.arm();
      },
    },
    statusSink: statusLater?.sink,
    logger: logger.child({ component: "reconciler" }),
  });
  return { metrics, store, source, listenerManager, statusWriter, reconciler };
}

/** Binds the admin app (before the first sync, so probes answer while the source lists) and telemetry. */
async function serveApps(
  parts: GatewayParts,
  built: Built,
  flags: { draining: boolean; synced: boolean },
  ctx: PartContext,
  owned: Owned,
): Promise<void> {
  const { options } = ctx;
  const log = ctx.logger.child({ component: "runtime" });
  const { source, reconciler, statusWriter, metrics } = built;
  const { state, control } = createRuntimeGatewayState({
    source,
    reconciler,
    draining: () => flags.draining,
    synced: () => flags.synced,
    extra: statusWriter?.extra ? () => statusWriter.extra?.() ?? {} : undefined,
  });
  const admin = await parts.createAdminApp({ state, control, metrics }, ctx);
  owned.servers.push(
    options.adminTls
      ? await serveAppTls(admin, options.adminAddr, options.adminTls, log)
      : serveApp(admin, options.adminAddr, log, "admin"),
  );
  if (options.telemetryAddr) {
    const telemetry = await parts.createTelemetryApp({ state, metrics }, ctx);
    owned.servers.push(serveApp(telemetry, options.telemetryAddr, log, "telemetry"));
  } else {
    log.info("telemetry listener disabled");
  }
}

/**
 * Readiness is already 503; listeners keep accepting for `drainDelayMs` (load
 * balancers need time to notice), then stop, and in-flight requests get up to
 * `shutdownTimeoutMs`. A second signal cuts both waits short.
 */
async function drain(
  built: Built,
  shutdown: ShutdownWaiter,
  options: GatewayOptions,
  log: Logger,
): Promise<void> {
  log.info("shutting down: readiness is now 503", {
    signal: shutdown.reason(),
    drainDelayMs: options.drainDelayMs,
    shutdownTimeoutMs: options.shutdownTimeoutMs,
  });
  built.listenerManager.drain?.();
  if (options.drainDelayMs > 0) await systemClock.sleep(options.drainDelayMs, shutdown.forced);
  built.reconciler.stop();
  log.info("stopping listeners; waiting for in-flight requests");
  const forced = new Promise<false>((resolve) => {
    if (shutdown.forced.aborted) resolve(false);
    shutdown.forced.addEventListener("abort", () => resolve(false), { once: true });
  });
  const drained = await Promise.race([
    built.listenerManager.shutdown({ graceMs: options.shutdownTimeoutMs }),
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
}

/** What `runGateway` built that must be stopped, as far as it got. */
interface Owned {
  servers: StoppableServer[];
  source?: Source;
  statusWriter?: StatusWriterPart;
  statusLater?: FirstStatusLater;
  kube?: KubePart;
  trimmer?: AllocatorTrim;
}

/** `metrics`, and each status write arms a trim of glibc's heaps. */
function withTrimAfterWrites(metrics: MetricsPart, trimmer: AllocatorTrim): MetricsPart {
  return {
    registry: metrics.registry,
    observer: metrics.observer,
    rebuilt: (attempt) => metrics.rebuilt(attempt),
    sourceSynced: (kind, synced) => metrics.sourceSynced(kind, synced),
    watchRestarted: (kind) => metrics.watchRestarted(kind),
    statusWritten: (outcome) => {
      metrics.statusWritten(outcome);
      trimmer.arm();
    },
  };
}

/** Trims after rebuilds and status writes when libc can be called; one line says why not otherwise. */
function allocatorTrimFor(logger: Logger): AllocatorTrim | undefined {
  const log = logger.child({ component: "runtime" });
  const found = mallocTrim();
  if ("problem" in found) {
    log.info("glibc's free memory is not handed back after rebuilds", { reason: found.problem });
    return undefined;
  }
  return new AllocatorTrim({
    trim: found.trim,
    onTrim: (ms) =>
      log.debug("handed glibc's free memory back", { ms: Math.round(ms * 100) / 100 }),
  });
}

async function stopQuietly(log: Logger, owned: Owned): Promise<void> {
  const steps: [string, () => Promise<void> | void][] = [
    ["allocator trim", () => owned.trimmer?.stop()],
    ["first statuses", () => owned.statusLater?.cancel()],
    ["status writer", () => owned.statusWriter?.stop()],
    ["source", () => owned.source?.stop()],
    // The source and the status writer share the one client; close it after both.
    ["Kubernetes client", () => owned.kube?.client.close()],
    ...owned.servers.map((s, i) =>
      [`server ${i}`, () => s.shutdown()] as [string, () => Promise<void>]
    ),
  ];
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (error) {
      log.warn(`cannot stop ${name} cleanly`, { error });
    }
  }
}
