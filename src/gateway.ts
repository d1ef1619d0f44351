/**
 * The composition root: the real parts `runGateway` wires, the pipeline
 * modules of every folder adapted to the seams in `runtime/gateway_parts.ts`.
 * This is the one file that knows every module's factory; `main.ts` passes it
 * to `runGateway`. It stands above every folder of `src/`.
 * @module
 */
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
import { createKubeSource } from "./source/kube.ts";
import { createKubeClient } from "./kube/client.ts";
import { loadKubeConnection } from "./kube/kubeconfig.ts";
import { createStore } from "./source/store.ts";
import { createKubeStatusPart } from "./status/kube_status_part.ts";
import { translate } from "./translate/translate.ts";
import { TranslateMemo } from "./translate/translate_memo.ts";
import { VERSION } from "./cli/version.ts";
import type {
  GatewayParts,
  ListenerManagerPart,
  MetricsPart,
  PartContext,
} from "./runtime/gateway_parts.ts";
import type { RouteTable } from "./router/router.ts";

/** Creates the production parts. */
export function createDefaultParts(): GatewayParts {
  // One process, one stream of snapshots: a change costs what it touches.
  const memo = new TranslateMemo();
  return {
    translate: (snapshot, options) => translate(snapshot, options, memo),
    compile: createRouteTableCompiler(),
    createStore: () => createStore(),
    createMetrics: metricsPart,
    async connectKube(ctx) {
      const connection = await loadKubeConnection({
        kubeconfig: ctx.options.kubeconfig,
        env: (name) => ctx.env[name],
        logger: ctx.logger.child({ component: "kubeconfig" }),
      });
      return { client: createKubeClient(connection), namespace: connection.namespace };
    },
    async createSource(resolved, { store, metrics, kube }, ctx) {
      if (resolved.kind === "files") {
        const dir = ctx.options.manifests;
        if (dir === undefined) {
          throw new TypeError("Cannot start the files source: --manifests DIR is required");
        }
        // Loaded only here: with it comes the YAML parser, which the kube source never needs.
        const { createFilesSource } = await import("./source/files.ts");
        return createFilesSource({ dir, store, logger: ctx.logger });
      }
      if (!kube) throw new TypeError("Cannot start the kube source: no Kubernetes connection");
      return createKubeSource({
        client: kube.client,
        store,
        logger: ctx.logger,
        onSyncChange: (kind, synced) => metrics.sourceSynced(kind, synced),
        onWatchRestart: (kind) => metrics.watchRestarted(kind),
      });
    },
    createStatusWriter({ store, kube, metrics }, ctx) {
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
    },
    createListenerManager: dataPlaneFor,
    createAdminApp({ state, control, metrics }, ctx) {
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
    },
    createTelemetryApp({ state, metrics }, ctx) {
      return createTelemetryApp({
        state,
        metrics,
        logger: ctx.logger.child({ component: "telemetry" }),
      });
    },
  };
}

/** The data plane: a worker pool for `--workers N` > 1, else listeners in this isolate. */
function dataPlaneFor(
  { table, metrics }: { table: () => RouteTable | undefined; metrics: MetricsPart },
  ctx: PartContext,
): ListenerManagerPart {
  const workers = ctx.options.workers ?? 1;
  const connections = {
    maxConnections: ctx.options.maxConnections ?? 0,
    maxConnectionsPerPort: ctx.options.maxConnectionsPerPort ?? 0,
    timeouts: ctx.options.clientTimeouts ?? DEFAULT_CLIENT_TIMEOUTS,
    upgrades: ctx.options.upgrades ?? DEFAULT_UPGRADE_SETTINGS,
  };
  const logger = ctx.logger.child({ component: "dataplane" });
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

/** The prom-client metrics, adapted to what the runtime and its parts report. */
function metricsPart(): MetricsPart {
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
