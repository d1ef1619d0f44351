/**
 * The metric families of config rebuilds: attempts by result, the latest
 * attempt's success and time, translate's duration, and the size of the
 * table served now.
 * @module
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Ids to keep series of: any iterable; one with `has` is asked directly, not copied. */
export type IdSet = Iterable<string> & { has?(id: string): boolean };

/** What the runtime reports after each rebuild attempt. */
export interface RebuildRecord {
  ok: boolean;
  /** Time `translate` took; not observed when absent or not finite. */
  translateSeconds?: number;
  /**
   * Counts in the table now served (ignored when `ok` is false: the old
   * table stays); read at scrape time, so they may be getters that count
   * on first read.
   */
  readonly routes: number;
  readonly endpoints: number;
  readonly listeners: number;
  /** Translate and source problems of this attempt. */
  problems: number;
  /**
   * Rule ids of the new table. When given (and `ok`), request series of rules
   * that no longer exist are dropped, so config churn cannot grow the label set
   * without bound.
   */
  ruleIds?: IdSet;
  /** Listener ids of the new table (`ListenerConfig.id`); same purpose. */
  listenerIds?: Iterable<string>;
  /** Backend ids of the new table; same purpose, for `serval_upstream_errors_total`. */
  backendIds?: IdSet;
}

/** The rebuild families, registered in `registry` in the order they are printed. */
export class RebuildMetrics {
  readonly #now: () => number;
  readonly #reloads: Counter<string>;
  readonly #lastSuccess: Gauge;
  readonly #lastTimestamp: Gauge;
  readonly #translateDuration: Histogram;
  readonly #problems: Gauge;
  /** The latest successful record: the sizes of the table served now. */
  #served: RebuildRecord | undefined;

  /** `now`: wall clock in milliseconds since the epoch. */
  constructor(registry: Registry, now: () => number) {
    const registers = [registry];
    this.#now = now;
    this.#reloads = new Counter({
      name: "serval_config_reloads_total",
      help: "Rebuild attempts (source read, translate, swap), by result.",
      labelNames: ["result"],
      registers,
    });
    this.#lastSuccess = new Gauge({
      name: "serval_config_last_reload_success",
      help: "1 if the latest rebuild attempt succeeded, else 0.",
      registers,
    });
    this.#lastTimestamp = new Gauge({
      name: "serval_config_last_reload_timestamp_seconds",
      help: "Unix time of the latest successful rebuild.",
      registers,
    });
    this.#translateDuration = new Histogram({
      name: "serval_translate_duration_seconds",
      help: "Time translate took to compile the snapshot.",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    // The table's sizes are read at scrape time from the record served
    // now: counting them walks every rule, which a change need not pay.
    const served = () => this.#served;
    const gauge = (name: string, help: string, read: (r: RebuildRecord) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const record = served();
          if (record !== undefined) this.set(read(record));
        },
      });
    gauge("serval_routes", "Route rules in the table served now.", (r) => r.routes);
    gauge(
      "serval_endpoints",
      "Distinct ready endpoints in the table served now.",
      (r) => r.endpoints,
    );
    gauge(
      "serval_listeners",
      "Listeners in the table served now.",
      (r) => r.listeners,
    );
    this.#problems = new Gauge({
      name: "serval_config_problems",
      help: "Problems found by the latest rebuild.",
      registers,
    });
    // Printed at zero from the start, so rate() works from the first scrape.
    for (const result of ["ok", "failed"]) this.#reloads.inc({ result }, 0);
  }

  /** Counts one rebuild attempt; the table's sizes only when it succeeded. */
  record(record: RebuildRecord): void {
    this.#reloads.inc({ result: record.ok ? "ok" : "failed" });
    this.#lastSuccess.set(record.ok ? 1 : 0);
    this.#problems.set(record.problems);
    const seconds = record.translateSeconds;
    if (seconds !== undefined && Number.isFinite(seconds) && seconds >= 0) {
      this.#translateDuration.observe(seconds);
    }
    if (!record.ok) return;
    this.#lastTimestamp.set(this.#now() / 1000);
    this.#served = record;
  }
}
