/**
 * The per-request metric families (`serval_http_requests_total` and
 * `serval_http_request_duration_seconds`), kept outside prom-client's own
 * Counter/Histogram because those hash a label object on every call (measured
 * here: ~800 ns a request for both families, against well under 100 ns for the
 * nested-map accumulator below). Requests only bump numbers in maps keyed by
 * strings the config already holds; label objects are built at scrape time.
 * Both families are registered in a prom-client `Registry` as collectors that
 * speak its metric-object shape, so `/metrics` prints them with the rest.
 *
 * @example
 * ```ts
 * import { Registry } from "prom-client";
 * import { createRequestMetrics } from "./request_metrics.ts";
 * const registry = new Registry();
 * const requests = createRequestMetrics(registry);
 * requests.observe({ listener: "l", route: "r", method: "GET", status: 200, durationSeconds: 0.01 });
 * ```
 * @module
 */
import type { Metric, Registry } from "prom-client";
import type { RequestRecord } from "../dataplane/observer.ts";

/** Buckets of the request duration histogram, in seconds. */
export const REQUEST_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
]);

/** Methods that keep their own label value; any other method is counted as `OTHER`. */
export const KNOWN_METHODS: readonly string[] = Object.freeze([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "OPTIONS",
  "CONNECT",
  "TRACE",
]);
const OTHER_METHOD = KNOWN_METHODS.length;
const METHOD_LABELS = [...KNOWN_METHODS, "OTHER"];
const METHOD_INDEX = new Map(KNOWN_METHODS.map((m, i) => [m, i]));

/**
 * One (listener, route) pair: request counts by method and code, and its
 * histogram. A series is made on a route's first request and kept while the
 * route stays (thousands at scale), so it holds its first count in place (most
 * routes see one method and code) and its buckets in a plain list (a typed
 * array of 15 cost about twice as much with its buffer outside the heap).
 */
interface Series {
  listener: string;
  route: string;
  /** The first key counted (method index * 1000 + status, 0 for a status outside 100–599), -1 before. */
  firstKey: number;
  firstCount: number;
  /** Counts of the other keys, in the order first seen. */
  more: Map<number, number> | undefined;
  /** Non-cumulative bucket counts; the last slot is `+Inf`. */
  buckets: number[];
  sum: number;
  count: number;
}

/** The request families; see {@linkcode createRequestMetrics}. */
export interface RequestMetrics {
  /** Counts one finished request. */
  observe(record: RequestRecord): void;
  /**
   * Drops the series whose route is not in `routes` or whose listener is not in
   * `listeners` (when given); `none` is always kept.
   */
  retain(routes: { has(id: string): boolean }, listeners?: ReadonlySet<string>): void;
  /** How many (listener, route) series exist. */
  readonly size: number;
}

/** Registers both request families in `registry`. */
export function createRequestMetrics(
  registry: Registry,
  buckets: readonly number[] = REQUEST_DURATION_BUCKETS,
  beforeCollect?: () => void,
): RequestMetrics {
  const series = new RequestSeries(Float64Array.from(buckets));
  const reset = () => series.clear();
  registry.registerMetric(collector({
    name: "serval_http_requests_total",
    help: "Requests served, by listener, rule id, method and status code.",
    type: "counter",
    values: () => {
      beforeCollect?.();
      return series.countValues();
    },
    reset,
  }));
  registry.registerMetric(collector({
    name: DURATION_NAME,
    help: "Time from a request's arrival to its response head, by listener and rule id.",
    type: "histogram",
    values: () => {
      beforeCollect?.();
      return series.durationValues();
    },
    reset,
  }));
  return series;
}

const DURATION_NAME = "serval_http_request_duration_seconds";

/** Every (listener, route) series, by listener then route. */
class RequestSeries implements RequestMetrics {
  readonly #bounds: Float64Array;
  readonly #byListener = new Map<string, Map<string, Series>>();
  #size = 0;

  constructor(bounds: Float64Array) {
    this.#bounds = bounds;
  }

  // A field, not a method: the observer hands it on unbound.
  readonly observe = (record: RequestRecord): void => {
    const bounds = this.#bounds;
    const s = this.#seriesFor(record.listener, record.route);
    const method = METHOD_INDEX.get(record.method) ?? OTHER_METHOD;
    const status = record.status >= 100 && record.status <= 599 ? record.status | 0 : 0;
    const key = method * 1000 + status;
    if (key === s.firstKey) s.firstCount++;
    else if (s.firstKey < 0) {
      s.firstKey = key;
      s.firstCount = 1;
    } else {
      s.more ??= new Map();
      s.more.set(key, (s.more.get(key) ?? 0) + 1);
    }
    // A negative or NaN duration (clock step) would poison the sum forever.
    const d = record.durationSeconds >= 0 ? record.durationSeconds : 0;
    let i = 0;
    while (i < bounds.length && d > bounds[i]) i++;
    s.buckets[i]++;
    s.sum += d;
    s.count++;
  };

  get size(): number {
    return this.#size;
  }

  retain(liveRoutes: { has(id: string): boolean }, liveListeners?: ReadonlySet<string>): void {
    for (const [listener, routes] of this.#byListener) {
      if (listener !== "none" && liveListeners && !liveListeners.has(listener)) {
        this.#size -= routes.size;
        this.#byListener.delete(listener);
        continue;
      }
      for (const route of routes.keys()) {
        if (route !== "none" && !liveRoutes.has(route)) {
          routes.delete(route);
          this.#size -= 1;
        }
      }
    }
  }

  clear(): void {
    this.#byListener.clear();
    this.#size = 0;
  }

  /** The samples of `serval_http_requests_total`. */
  countValues(): MetricValue[] {
    const values: MetricValue[] = [];
    const add = (s: Series, key: number, value: number) => {
      const status = key % 1000;
      values.push({
        labels: {
          listener: s.listener,
          route: s.route,
          method: METHOD_LABELS[Math.floor(key / 1000)],
          code: status === 0 ? "other" : String(status),
        },
        value,
      });
    };
    for (const s of this.#eachSeries()) {
      if (s.firstKey >= 0) add(s, s.firstKey, s.firstCount);
      for (const [key, value] of s.more ?? []) add(s, key, value);
    }
    return values;
  }

  /** The samples of the duration histogram: cumulative buckets, sum and count. */
  durationValues(): MetricValue[] {
    const bounds = this.#bounds;
    const values: MetricValue[] = [];
    for (const s of this.#eachSeries()) {
      const labels = { listener: s.listener, route: s.route };
      let cumulative = 0;
      for (let i = 0; i <= bounds.length; i++) {
        cumulative += s.buckets[i];
        const le = i < bounds.length ? bounds[i] : "+Inf";
        values.push({
          metricName: `${DURATION_NAME}_bucket`,
          labels: { ...labels, le },
          value: cumulative,
        });
      }
      values.push({ metricName: `${DURATION_NAME}_sum`, labels, value: s.sum });
      values.push({ metricName: `${DURATION_NAME}_count`, labels, value: s.count });
    }
    return values;
  }

  #seriesFor(listener: string, route: string): Series {
    let routes = this.#byListener.get(listener);
    if (routes === undefined) {
      routes = new Map();
      this.#byListener.set(listener, routes);
    }
    let series = routes.get(route);
    if (series === undefined) {
      series = {
        listener,
        route,
        firstKey: -1,
        firstCount: 0,
        more: undefined,
        buckets: Array.from({ length: this.#bounds.length + 1 }, () => 0),
        sum: 0,
        count: 0,
      };
      routes.set(route, series);
      this.#size += 1;
    }
    return series;
  }

  *#eachSeries(): Generator<Series> {
    for (const routes of this.#byListener.values()) yield* routes.values();
  }
}

interface MetricValue {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * A metric object in the shape prom-client's `Registry` reads (`name`, `help`,
 * `type`, `get()`, `reset()`); its TypeScript types only name its own classes,
 * hence the cast. The exposition test pins the printed text.
 */
function collector(spec: {
  name: string;
  help: string;
  type: "counter" | "histogram";
  values: () => MetricValue[];
  reset: () => void;
}): Metric {
  const metric = {
    name: spec.name,
    help: spec.help,
    type: spec.type,
    aggregator: "sum",
    get: () =>
      Promise.resolve({
        name: spec.name,
        help: spec.help,
        type: spec.type,
        aggregator: "sum",
        values: spec.values(),
      }),
    reset: spec.reset,
  };
  return metric as unknown as Metric;
}
