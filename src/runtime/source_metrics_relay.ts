/**
 * The source's metrics before the metrics exist. The source starts listing
 * before prom-client has loaded (the list is on the way to the first table,
 * the metrics are not), so what it reports meanwhile is kept and replayed
 * into the metrics once they are made: each kind's latest sync state and how
 * many times its watch restarted, a few numbers per kind however long the
 * wait.
 *
 * @example
 * ```ts
 * import { SourceMetricsRelay } from "./source_metrics_relay.ts";
 * const relay = new SourceMetricsRelay();
 * relay.sourceSynced("Gateway", true); // kept
 * relay.attach({ sourceSynced: () => {}, watchRestarted: () => {} }); // replayed, then forwarded
 * ```
 * @module
 */
import type { SourceMetrics } from "./gateway_parts.ts";

/** Keeps the source's reports until {@linkcode SourceMetricsRelay.attach}, then forwards them. */
export class SourceMetricsRelay implements SourceMetrics {
  #target: SourceMetrics | undefined;
  readonly #synced = new Map<string, boolean>();
  readonly #restarts = new Map<string, number>();

  sourceSynced(kind: string, synced: boolean): void {
    if (this.#target) this.#target.sourceSynced(kind, synced);
    else this.#synced.set(kind, synced);
  }

  watchRestarted(kind: string): void {
    if (this.#target) this.#target.watchRestarted(kind);
    else this.#restarts.set(kind, (this.#restarts.get(kind) ?? 0) + 1);
  }

  /** Replays what was kept into `target`, then forwards every report to it. */
  attach(target: SourceMetrics): void {
    for (const [kind, count] of this.#restarts) {
      for (let i = 0; i < count; i++) target.watchRestarted(kind);
    }
    for (const [kind, synced] of this.#synced) target.sourceSynced(kind, synced);
    this.#restarts.clear();
    this.#synced.clear();
    this.#target = target;
  }
}
