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
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import {
  CLIENT_EVENT_REASONS,
  type ClientEventFamily,
  type DataPlaneObserver,
} from "../dataplane/observer.ts";
import { type IdSet, RebuildMetrics, type RebuildRecord } from "./rebuild_metrics.ts";
import { createRequestMetrics, KNOWN_METHODS } from "./request_metrics.ts";
import { PassthroughMetrics, UpgradeMetrics } from "./tunnel_metrics.ts";

export { KNOWN_METHODS };

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
/**
 * How often the event-loop lag families (`nodejs_eventloop_lag_*`) sample
 * the loop, in ms. prom-client's default, 10 ms, wakes an idle process 100
 * times a second (measured: ~115 context switches a second of an idle
 * gateway's threads against ~20 at 100 ms). Each sample still measures its
 * own delay exactly; a stall shorter than the gap between two samples can be
 * missed, which a 100 ms loop stall never is.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

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
  h2_connection_error: "code",
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
        "waiting for its first request closed to free one (shed), or a handshake failed on a " +
        "listener validating client certificates (client_certificate).",
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
    h2_connection_error: counter(
      "h2_connection_error",
      "serval_http2_connection_errors_total",
      "HTTP/2 connections of the gateway's own server ended by a GOAWAY with an error, by code.",
    ),
  };
}

/** Creates the registry and every gateway metric family in it. */
export function createMetrics(options: MetricsOptions = {}): GatewayMetrics {
  const registry = new Registry();
  const registers = [registry];
  registerProcessMetrics(registry, options);
  // The ids of the table served now, not yet applied to the label sets.
  let live: RebuildRecord | undefined;
  let seriesKept = 0;
  // Series of rules, listeners and backends that are gone are dropped at the
  // next scrape (before the request families, registered first, are read),
  // not at every change: walking the series per change cost O(series).
  const prune = () => {
    const record = live;
    live = undefined;
    if (record === undefined) return;
    if (record.ruleIds) {
      const listeners = record.listenerIds ? new Set(record.listenerIds) : undefined;
      requests.retain(membership(record.ruleIds), listeners);
    }
    if (record.backendIds) upstreamErrors.retain(membership(record.backendIds));
    seriesKept = requests.size;
  };
  const requests = createRequestMetrics(registry, options.requestDurationBuckets, prune);
  const upstreamErrors = new UpstreamErrorMetrics(registry);
  const rebuilds = new RebuildMetrics(registry, options.now ?? Date.now);
  const passthrough = new PassthroughMetrics(registry);
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
  for (const result of ["ok", "conflict", "failed", "skipped"]) statusWrites.inc({ result }, 0);

  const upgrades = new UpgradeMetrics(registry);
  const observer: DataPlaneObserver = {
    onRequest: requests.observe,
    onUpstreamError: (backend, kind) => upstreamErrors.inc(backend, kind),
    onClientEvent(family, reason) {
      clientEvents[family].inc({ [CLIENT_EVENT_LABELS[family]]: reason });
    },
    onPassthrough: (record) => passthrough.connection(record),
    onPassthroughBytes: (toBackend, toClient) => passthrough.bytes(toBackend, toClient),
    onUpgrade: (event, why) => upgrades.event(event, why),
  };

  return {
    registry,
    observer,
    recordRebuild(record) {
      rebuilds.record(record);
      if (!record.ok) return;
      live = record;
      // Nobody scraping must not let series of removed rules pile up.
      if (requests.size > seriesKept * 2 + 64) prune();
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

/** `ids` as something to ask `has`: itself when it can answer, else a set of it. */
function membership(ids: IdSet): { has(id: string): boolean } {
  return typeof ids.has === "function" ? ids as { has(id: string): boolean } : new Set(ids);
}

/** The runtime's own families (those that measure something under Deno) and the build info. */
function registerProcessMetrics(registry: Registry, options: MetricsOptions): void {
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({
      register: registry,
      eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS,
    });
    for (const name of DEFAULT_METRICS_DROPPED) registry.removeSingleMetric(name);
    if (Deno.build.os === "linux" && !procSelfReadable()) replaceProcMetrics(registry);
  }
  new Gauge({
    name: "serval_build_info",
    help: "Always 1; labels carry the gateway and Deno versions.",
    labelNames: ["version", "deno"],
    registers: [registry],
  }).set({ version: options.version ?? "unknown", deno: Deno.version.deno }, 1);
}

/** Failed upstream attempts by backend and kind, whose removed backends' series can be dropped. */
class UpstreamErrorMetrics {
  readonly #counter: Counter<string>;
  /** Label sets of the counter, so series of removed backends can be dropped. */
  readonly #kinds = new Map<string, Set<string>>();

  constructor(registry: Registry) {
    this.#counter = new Counter({
      name: "serval_upstream_errors_total",
      help: "Failed upstream attempts, by backend id and kind of failure.",
      labelNames: ["backend", "kind"],
      registers: [registry],
    });
  }

  inc(backend: string, kind: string): void {
    this.#counter.inc({ backend, kind });
    let kinds = this.#kinds.get(backend);
    if (kinds === undefined) this.#kinds.set(backend, kinds = new Set());
    kinds.add(kind);
  }

  /** Drops the series of backends not in `live`. */
  retain(live: { has(id: string): boolean }): void {
    for (const [backend, kinds] of this.#kinds) {
      if (live.has(backend)) continue;
      for (const kind of kinds) this.#counter.remove({ backend, kind });
      this.#kinds.delete(backend);
    }
  }
}
