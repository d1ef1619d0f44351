/**
 * The gateway's Prometheus metrics, in a registry of their own (never
 * prom-client's global one, so tests and several gateways in one process do
 * not share counters). The data plane reports through `observer`; the runtime,
 * the sources and the status writer call the `record*`/`set*` functions.
 *
 * Label cardinality is bounded by the config: `route` is a rule id (or `none`),
 * `listener` a listener id (or `none`), `backend` a backend id, `method` one of
 * {@linkcode KNOWN_METHODS} or `OTHER`, `code` a status code.
 *
 * @example
 * ```ts
 * import { createMetrics } from "./metrics.ts";
 * const metrics = createMetrics({ version: "0.1.0" });
 * metrics.observer.onRequest({
 *   listener: "gateway/default/gw/listener/http",
 *   route: "httproute/default/web/rule/0",
 *   method: "GET",
 *   status: 200,
 *   durationSeconds: 0.004,
 * });
 * const text = await metrics.registry.metrics();
 * ```
 * @module
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import {
  CLIENT_EVENT_REASONS,
  type ClientEventFamily,
  type DataPlaneObserver,
} from "../dataplane/observer.ts";
import { createRequestMetrics, KNOWN_METHODS } from "./request_metrics.ts";

export { KNOWN_METHODS };

/** What the runtime reports after each rebuild attempt. */
export interface RebuildRecord {
  ok: boolean;
  /** Time `translate` took; not observed when absent or not finite. */
  translateSeconds?: number;
  /** Counts in the table now served (ignored when `ok` is false: the old table stays). */
  routes: number;
  endpoints: number;
  listeners: number;
  /** Translate and source problems of this attempt. */
  problems: number;
  /**
   * Rule ids of the new table. When given (and `ok`), request series of rules
   * that no longer exist are dropped, so config churn cannot grow the label set
   * without bound.
   */
  ruleIds?: Iterable<string>;
  /** Listener ids of the new table (`ListenerConfig.id`); same purpose. */
  listenerIds?: Iterable<string>;
  /** Backend ids of the new table; same purpose, for `serval_upstream_errors_total`. */
  backendIds?: Iterable<string>;
}

/** Outcome of one status subresource write. */
export type StatusWriteResult = "ok" | "conflict" | "failed" | "skipped";

/** Options of {@linkcode createMetrics}. */
export interface MetricsOptions {
  /** Gateway version, shown in `serval_build_info`. */
  version?: string;
  /** Register the process/runtime metrics prom-client offers (default true). */
  defaultMetrics?: boolean;
  /** Wall clock in milliseconds since the epoch (tests). */
  now?: () => number;
  /** Buckets of `serval_http_request_duration_seconds`. */
  requestDurationBuckets?: readonly number[];
}

/** The metrics of one gateway; see {@linkcode createMetrics}. */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** Hot-path hooks for the data plane. */
  readonly observer: DataPlaneObserver;
  recordRebuild(record: RebuildRecord): void;
  /** Whether a kind (`Gateway`, `HTTPRoute`, ...) completed its first list/read. */
  setSourceSynced(kind: string, synced: boolean): void;
  /** A Kubernetes watch of `kind` ended and was started again. */
  recordWatchRestart(kind: string): void;
  recordStatusWrite(result: StatusWriteResult): void;
}

/**
 * Default-metric families prom-client registers that measure nothing under
 * Deno (checked on Deno 2.9.6): the GC histogram never receives an entry, the
 * handle and request counts are always zero, and the resource count sees only
 * Node-style timers, not Deno's sockets. Exposing them would mislead.
 */
const DEFAULT_METRICS_DROPPED = [
  "nodejs_gc_duration_seconds",
  "nodejs_active_handles",
  "nodejs_active_handles_total",
  "nodejs_active_requests",
  "nodejs_active_requests_total",
  "nodejs_active_resources",
  "nodejs_active_resources_total",
];

/**
 * Families prom-client reads from `/proc/self` on Linux. Deno lets a process
 * read `/proc/self` only with `--allow-all` (`--allow-read` is not enough), and
 * prom-client swallows the error: without it they would all print 0.
 */
const PROC_SELF_METRICS = [
  "process_resident_memory_bytes",
  "process_virtual_memory_bytes",
  "process_heap_bytes",
  "process_open_fds",
  "process_max_fds",
];

/** Whether this process may read `/proc/self` (never prompts: asks first). */
function procSelfReadable(): boolean {
  const path = "/proc/self/status";
  if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") return false;
  try {
    Deno.readTextFileSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Drops the `/proc/self` families and keeps resident memory from the runtime instead. */
function replaceProcMetrics(registry: Registry): void {
  for (const name of PROC_SELF_METRICS) registry.removeSingleMetric(name);
  new Gauge({
    name: "process_resident_memory_bytes",
    help: "Resident memory size in bytes.",
    registers: [registry],
    collect() {
      this.set(Deno.memoryUsage().rss);
    },
  });
}

/** The label each client-event family is split by. */
const CLIENT_EVENT_LABELS: { readonly [F in ClientEventFamily]: string } = {
  connection_rejected: "reason",
  client_timeout: "kind",
  policy_rejected: "reason",
};

/**
 * The client-event families (see `ClientEventReasons` in the observer), every
 * reason printed at zero from the start.
 */
function createClientEventCounters(
  registry: Registry,
): { [F in ClientEventFamily]: Counter<string> } {
  const counter = (family: ClientEventFamily, name: string, help: string) => {
    const label = CLIENT_EVENT_LABELS[family];
    const made = new Counter({ name, help, labelNames: [label], registers: [registry] });
    for (const reason of CLIENT_EVENT_REASONS[family]) made.inc({ [label]: reason }, 0);
    return made;
  };
  return {
    connection_rejected: counter(
      "connection_rejected",
      "serval_client_connections_rejected_total",
      "Client connections closed unserved: limit of the process (global) or port (port) " +
        "reached, accept failed for want of a descriptor (descriptors), or a connection " +
        "waiting for its first request closed to free one (shed).",
    ),
    client_timeout: counter(
      "client_timeout",
      "serval_client_timeouts_total",
      "Client timeouts fired, by kind: header, idle, body (answered 408), total (stream).",
    ),
    policy_rejected: counter(
      "policy_rejected",
      "serval_http_policy_rejections_total",
      "Requests answered 400 by the request policy, by reason.",
    ),
  };
}

/** Creates the registry and every gateway metric family in it. */
export function createMetrics(options: MetricsOptions = {}): GatewayMetrics {
  const registry = new Registry();
  const registers = [registry];
  const now = options.now ?? Date.now;

  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    for (const name of DEFAULT_METRICS_DROPPED) registry.removeSingleMetric(name);
    if (Deno.build.os === "linux" && !procSelfReadable()) replaceProcMetrics(registry);
  }

  new Gauge({
    name: "serval_build_info",
    help: "Always 1; labels carry the gateway and Deno versions.",
    labelNames: ["version", "deno"],
    registers,
  }).set({ version: options.version ?? "unknown", deno: Deno.version.deno }, 1);

  const requests = createRequestMetrics(registry, options.requestDurationBuckets);
  const upstreamErrors = new Counter({
    name: "serval_upstream_errors_total",
    help: "Failed upstream attempts, by backend id and kind of failure.",
    labelNames: ["backend", "kind"],
    registers,
  });
  const reloads = new Counter({
    name: "serval_config_reloads_total",
    help: "Rebuild attempts (source read, translate, swap), by result.",
    labelNames: ["result"],
    registers,
  });
  const lastSuccess = new Gauge({
    name: "serval_config_last_reload_success",
    help: "1 if the latest rebuild attempt succeeded, else 0.",
    registers,
  });
  const lastTimestamp = new Gauge({
    name: "serval_config_last_reload_timestamp_seconds",
    help: "Unix time of the latest successful rebuild.",
    registers,
  });
  const translateDuration = new Histogram({
    name: "serval_translate_duration_seconds",
    help: "Time translate took to compile the snapshot.",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const gauge = (name: string, help: string) => new Gauge({ name, help, registers });
  const routes = gauge("serval_routes", "Route rules in the table served now.");
  const endpoints = gauge("serval_endpoints", "Distinct ready endpoints in the table served now.");
  const listeners = gauge("serval_listeners", "Listeners in the table served now.");
  const problems = gauge("serval_config_problems", "Problems found by the latest rebuild.");
  const synced = new Gauge({
    name: "serval_source_synced",
    help: "1 once a kind completed its first list/read, else 0.",
    labelNames: ["kind"],
    registers,
  });
  const watchRestarts = new Counter({
    name: "serval_kube_watch_restarts_total",
    help: "Kubernetes watches restarted, by kind.",
    labelNames: ["kind"],
    registers,
  });
  const statusWrites = new Counter({
    name: "serval_status_writes_total",
    help: "Status subresource writes, by result.",
    labelNames: ["result"],
    registers,
  });
  const clientEvents = createClientEventCounters(registry);
  // Counters at zero are printed from the start, so rate() works from the first scrape.
  for (const result of ["ok", "failed"]) reloads.inc({ result }, 0);
  for (const result of ["ok", "conflict", "failed", "skipped"]) statusWrites.inc({ result }, 0);

  // Label sets of upstreamErrors, so series of removed backends can be dropped.
  const errorKinds = new Map<string, Set<string>>();
  const forgetBackends = (live: ReadonlySet<string>) => {
    for (const [backend, kinds] of errorKinds) {
      if (live.has(backend)) continue;
      for (const kind of kinds) upstreamErrors.remove({ backend, kind });
      errorKinds.delete(backend);
    }
  };

  const observer: DataPlaneObserver = {
    onRequest: requests.observe,
    onUpstreamError(backend, kind) {
      upstreamErrors.inc({ backend, kind });
      let kinds = errorKinds.get(backend);
      if (kinds === undefined) errorKinds.set(backend, kinds = new Set());
      kinds.add(kind);
    },
    onClientEvent(family, reason) {
      clientEvents[family].inc({ [CLIENT_EVENT_LABELS[family]]: reason });
    },
  };

  return {
    registry,
    observer,
    recordRebuild(record) {
      reloads.inc({ result: record.ok ? "ok" : "failed" });
      lastSuccess.set(record.ok ? 1 : 0);
      problems.set(record.problems);
      const seconds = record.translateSeconds;
      if (seconds !== undefined && Number.isFinite(seconds) && seconds >= 0) {
        translateDuration.observe(seconds);
      }
      if (!record.ok) return;
      lastTimestamp.set(now() / 1000);
      routes.set(record.routes);
      endpoints.set(record.endpoints);
      listeners.set(record.listeners);
      if (record.ruleIds) {
        const live = record.listenerIds ? new Set(record.listenerIds) : undefined;
        requests.retain(new Set(record.ruleIds), live);
      }
      if (record.backendIds) forgetBackends(new Set(record.backendIds));
    },
    setSourceSynced(kind, isSynced) {
      synced.set({ kind }, isSynced ? 1 : 0);
    },
    recordWatchRestart(kind) {
      watchRestarts.inc({ kind });
    },
    recordStatusWrite(result) {
      statusWrites.inc({ result });
    },
  };
}
