/**
 * The parts of the composition root that serve: translate and the route
 * table compiler, the data plane, the status writer, the metrics and the
 * admin and telemetry apps. `src/gateway.ts` loads this module on first use,
 * after the source started listing, so the modules behind it (prom-client,
 * Hono, the data plane's node:http2 and node:tls) load while the API server
 * answers instead of before the first request to it.
 * @module
 */
import { chooseSockets, upstreamOnLibc } from "./dataplane/libc_sockets.ts";
import { createAdminApp } from "./admin/admin_app.ts";
import { createTokenFile } from "./admin/admin_token.ts";
import { createMetrics } from "./admin/metrics.ts";
import { rebuildRecordOf } from "./admin/rebuild_record.ts";
import { createTelemetryApp } from "./admin/telemetry_app.ts";
import { DEFAULT_CLIENT_TIMEOUTS, DEFAULT_UPGRADE_SETTINGS } from "./dataplane/client_timeouts.ts";
import { createListenerManager } from "./dataplane/listeners.ts";
import { createHttpsServerFactory } from "./dataplane/tls_port_factory.ts";
import { createWorkerPool } from "./dataplane/worker_pool.ts";
import { createRouteTableCompiler } from "./router/compile_route_table.ts";
import { explainRequest } from "./router/explain.ts";
import type { RouteTable } from "./router/router.ts";
import { createKubeStatusPart } from "./status/kube_status_part.ts";
import { translate } from "./translate/translate.ts";
import { TranslateMemo } from "./translate/translate_memo.ts";
import { VERSION } from "./cli/version.ts";
import type { GatewayControl, GatewayState } from "./admin/gateway_state.ts";
import type {
  HttpApp,
  KubePart,
  ListenerManagerPart,
  MetricsPart,
  PartContext,
  PipelinePart,
  StatusWriterPart,
} from "./runtime/gateway_parts.ts";
import type { Store } from "./source/store.ts";

/** Translate with the memo one process carries along, and the compiler. */
export function pipeline(): PipelinePart {
  // One process, one stream of snapshots: a change costs what it touches.
  const memo = new TranslateMemo();
  return {
    translate: (snapshot, options) => translate(snapshot, options, memo),
    compile: createRouteTableCompiler(),
  };
}

/** The prom-client metrics, adapted to what the runtime and its parts report. */
export function metrics(): MetricsPart {
  const made = createMetrics({ version: VERSION });
  return {
    registry: made.registry,
    observer: made.observer,
    rebuilt: (attempt) => made.recordRebuild(rebuildRecordOf(attempt)),
    sourceSynced: (kind, synced) => made.setSourceSynced(kind, synced),
    watchRestarted: (kind) => made.recordWatchRestart(kind),
    statusWritten: (outcome) => made.recordStatusWrite(outcome),
  };
}

/** The data plane: a worker pool for `--workers N` > 1, else listeners in this isolate. */
export function dataPlane(
  { table, metrics, afterIdleCollection }: {
    table: () => RouteTable | undefined;
    metrics: MetricsPart;
    afterIdleCollection?: () => void;
  },
  ctx: PartContext,
): ListenerManagerPart {
  const workers = ctx.options.workers ?? 1;
  const connections = {
    maxConnections: ctx.options.maxConnections ?? 0,
    maxConnectionsPerPort: ctx.options.maxConnectionsPerPort ?? 0,
    timeouts: ctx.options.clientTimeouts ?? DEFAULT_CLIENT_TIMEOUTS,
    upgrades: ctx.options.upgrades ?? DEFAULT_UPGRADE_SETTINGS,
    http1Engine: ctx.options.http1Engine,
    sockets: ctx.options.sockets,
    upstreamSendMs: ctx.options.upstreamSendTimeoutMs,
  };
  const logger = ctx.logger.child({ component: "dataplane" });
  const sockets = chooseSockets(ctx.options.sockets, ctx.options.http1Engine);
  logger.info(`plain HTTP ports on ${sockets.layer}'s sockets`, {
    sockets: sockets.layer,
    why: sockets.why,
    backends: upstreamOnLibc(ctx.options.sockets) ? "libc" : "deno",
  });
  if (workers > 1) {
    // Each worker compiles its own table from the posted config;
    // `table` stays with the main isolate (admin /explain).
    return createWorkerPool({
      workers,
      hostname: ctx.options.listenHost,
      logger,
      logLevel: ctx.options.logLevel,
      logFormat: ctx.options.logFormat,
      observer: metrics.observer,
      requestTimeoutMs: ctx.options.upstreamTimeoutMs,
      policy: ctx.options.requestPolicy,
      connections,
      onIdleCollection: afterIdleCollection,
    });
  }
  return createListenerManager({
    getTable: table,
    hostname: ctx.options.listenHost,
    logger,
    observer: metrics.observer,
    requestTimeoutMs: ctx.options.upstreamTimeoutMs,
    policy: ctx.options.requestPolicy,
    connections,
    servers: { HTTPS: createHttpsServerFactory(table) },
  });
}

/** The Kubernetes status writer (with leader election when asked). */
export function statusWriter(
  { store, kube, metrics }: { store: Store; kube: KubePart; metrics: MetricsPart },
  ctx: PartContext,
): Promise<StatusWriterPart | undefined> {
  return createKubeStatusPart({
    store,
    client: kube.client,
    namespace: kube.namespace,
    controllerName: ctx.options.controllerName,
    leaderElect: ctx.options.leaderElect,
    leaderElectionNamespace: ctx.options.leaderElectionNamespace,
    env: ctx.env,
    logger: ctx.logger,
    election: {
      leaseDurationMs: ctx.options.leaseDurationMs,
      renewDeadlineMs: ctx.options.renewDeadlineMs,
      retryPeriodMs: ctx.options.retryPeriodMs,
    },
    onWrite: (outcome) => metrics.statusWritten(outcome),
  });
}

/** The admin app on 127.0.0.1:9901 (by default). */
export function adminApp(
  { state, control, metrics }: {
    state: GatewayState;
    control: GatewayControl;
    metrics: MetricsPart;
  },
  ctx: PartContext,
): HttpApp {
  return createAdminApp({
    state,
    control,
    metrics,
    // The admin app parses /explain queries into a RouteRequest (host
    // parsed, path normalised, query apart), which the router explains as is.
    explain: (table, request) => explainRequest(table, request),
    logger: ctx.logger.child({ component: "admin" }),
    version: VERSION,
    guard: {
      allowedHosts: ctx.options.adminAllowedHosts,
      tokens: ctx.options.adminTokenFile === undefined
        ? undefined
        : createTokenFile(ctx.options.adminTokenFile, ctx.logger.child({ component: "admin" })),
    },
  });
}

/** The telemetry app (health and metrics only) for the pod's address. */
export function telemetryApp(
  { state, metrics }: { state: GatewayState; metrics: MetricsPart },
  ctx: PartContext,
): HttpApp {
  return createTelemetryApp({
    state,
    metrics,
    logger: ctx.logger.child({ component: "telemetry" }),
  });
}
