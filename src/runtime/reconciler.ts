/**
 * The reconciler: the one place where a store change becomes a served
 * configuration. Every rebuild starts from scratch (snapshot → translate →
 * compile), swaps the one table reference, then asks the listener manager to
 * bind or close ports. Rebuilds never overlap: changes arriving during a
 * rebuild coalesce into one more rebuild after it.
 *
 * @example
 * ```ts
 * import { createReconciler } from "./reconciler.ts";
 * import { createStore } from "../source/store.ts";
 * import { createLogger } from "../log/logger.ts";
 * import { translate } from "../translate/translate.ts";
 * import { compileRouteTable } from "../router/compile_route_table.ts";
 * const store = createStore();
 * const reconciler = createReconciler({
 *   source: { store, problems: () => [] },
 *   translate,
 *   compile: compileRouteTable,
 *   translateOptions: () => ({ controllerName: "gateway.serval.dev/controller" }),
 *   applyListeners: () => Promise.resolve([]),
 *   logger: createLogger(),
 * });
 * await reconciler.start(); // first rebuild now, then one per store change
 * ```
 * @module
 */
import { errorMessage } from "../log/error_message.ts";
import type { Logger } from "../log/logger.ts";
import type { RouteTable } from "../router/router.ts";
import type { Source } from "../source/source.ts";
import type { Store } from "../source/store.ts";
import type { GatewayConfig, TranslateOptions, TranslateResult } from "../model/config.ts";
import type { Snapshot } from "../model/snapshot.ts";
import type { RebuildState } from "../admin/gateway_state.ts";
import type { ListenerPortState } from "../dataplane/listener_port_state.ts";
import { resultWithBindFailures } from "./bind_failures.ts";
import { ServedTable } from "./served_table.ts";
import { logServed } from "./rebuild_log.ts";

/** One finished rebuild attempt, as reported to metrics. */
export interface RebuildAttempt {
  /** A table was swapped in (false: the last one stays). */
  ok: boolean;
  /** Time `translate` took, when it ran. */
  translateSeconds?: number;
  /** The result now served (only when `ok`). */
  result?: TranslateResult;
  /** Problems the source reported (parse/validation) at this attempt. */
  sourceProblems: number;
}

/** What the reconciler reports, e.g. to metrics. */
export interface ReconcileObserver {
  rebuilt(attempt: RebuildAttempt): void;
}

/** Dependencies of {@linkcode createReconciler}. */
export interface ReconcilerDeps {
  source: Pick<Source, "store" | "problems">;
  translate: (snapshot: Snapshot, options: TranslateOptions) => TranslateResult;
  compile: (config: GatewayConfig) => RouteTable;
  /** Options for each translate call (the clock and addresses are read here, not in translate). */
  translateOptions: () => TranslateOptions;
  /** Binds/closes data-plane ports for the new result; returns every port's state. */
  applyListeners: (result: TranslateResult) => Promise<ListenerPortState[]>;
  observer?: ReconcileObserver;
  /** Called after each good swap, e.g. by the Kubernetes status writer. Must not throw. */
  statusSink?: (result: TranslateResult) => void;
  logger: Logger;
  /** Where the compiled table is swapped in; default a new {@linkcode ServedTable}. */
  served?: ServedTable;
  now?: () => Date;
}

/** The running reconciler. */
export interface Reconciler {
  /** The table requests are served from now (read once per request). */
  table(): RouteTable | undefined;
  result(): TranslateResult | undefined;
  listeners(): ListenerPortState[];
  lastRebuild(): RebuildState | undefined;
  /** Marks the source as synced, rebuilds now, and from then on after every store change. */
  start(): Promise<RebuildState>;
  /** Rebuilds now (after any rebuild in progress); resolves with its outcome. */
  rebuild(reason: string): Promise<RebuildState>;
  /** Whether `start()` ran (no rebuild happens before the source's first sync). */
  started(): boolean;
  /** Stops reacting to store changes; a rebuild in progress completes. */
  stop(): void;
}

/** Creates a reconciler; nothing happens until `start()`. */
export function createReconciler(deps: ReconcilerDeps): Reconciler {
  return new TableReconciler(deps);
}

/** What one translate + compile produced, or why it could not. */
type Built =
  | {
    ok: true;
    result: TranslateResult;
    table: RouteTable;
    translateSeconds: number;
    compileSeconds: number;
  }
  | { ok: false; error: unknown; translateSeconds?: number };

/** The reconciler: rebuilds serialised, state in named fields. */
class TableReconciler implements Reconciler {
  readonly #deps: ReconcilerDeps;
  readonly #log: Logger;
  readonly #now: () => Date;
  readonly #served: ServedTable;
  readonly #store: Store;
  // The store version the latest rebuild read: a change signal for a version
  // already built (say, the holdoff after a reload that rebuilt at once) is
  // not a second rebuild.
  #builtVersion: number | undefined;
  #result: TranslateResult | undefined;
  #listeners: ListenerPortState[] = [];
  #last: RebuildState | undefined;
  #generation = 0;
  #started = false;
  #unsubscribe: (() => void) | undefined;
  // Serialisation: `running` is the rebuild in progress; `queued` the one after it.
  #running: Promise<RebuildState> | undefined;
  #queued: Promise<RebuildState> | undefined;
  /** The change signal the next rebuild serves, for its timeline. */
  #pendingChange: { changedAt: number; signalledAt: number } | undefined;

  constructor(deps: ReconcilerDeps) {
    this.#deps = deps;
    this.#log = deps.logger;
    this.#now = deps.now ?? (() => new Date());
    this.#served = deps.served ?? new ServedTable();
    this.#store = deps.source.store;
  }

  table(): RouteTable | undefined {
    return this.#served.current();
  }

  result(): TranslateResult | undefined {
    return this.#result;
  }

  listeners(): ListenerPortState[] {
    return this.#listeners;
  }

  lastRebuild(): RebuildState | undefined {
    return this.#last;
  }

  started(): boolean {
    return this.#started;
  }

  start(): Promise<RebuildState> {
    if (!this.#started) {
      this.#started = true;
      this.#unsubscribe = this.#store.onChange(() => {
        // The initial load (and a reload) armed the holdoff, but the rebuild
        // they asked for already read that version.
        if (this.#store.version() === this.#builtVersion) return;
        this.#noteSignal();
        this.#rebuild("store changed").catch((error) => {
          this.#log.error("rebuild failed unexpectedly", { error });
        });
      });
    }
    return this.#rebuild("initial sync");
  }

  rebuild(reason: string): Promise<RebuildState> {
    if (!this.#started) {
      return Promise.resolve(
        this.#last ?? {
          time: this.#now().toISOString(),
          ok: false,
          generation: 0,
          message: "Cannot rebuild before the source's first sync",
        },
      );
    }
    return this.#rebuild(reason);
  }

  /**
   * Remembers when the change behind this signal reached the store, in this
   * process's `performance.now()` (the store's clock may be another), for
   * the rebuild that serves it; signals that wait behind a rebuild in
   * progress keep the earliest.
   */
  #noteSignal(): void {
    if (this.#pendingChange !== undefined) return;
    const signalledAt = performance.now();
    const signal = this.#store.lastSignal();
    const heldMs = signal === undefined ? 0 : signal.signalledAt - signal.changedAt;
    this.#pendingChange = { changedAt: signalledAt - heldMs, signalledAt };
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  #rebuild(reason: string): Promise<RebuildState> {
    if (!this.#running) {
      this.#running = this.#once(reason).finally(() => {
        this.#running = undefined;
      });
      return this.#running;
    }
    // One rebuild after the current one covers every change that arrived meanwhile.
    this.#queued ??= this.#running.then(() => {
      this.#queued = undefined;
      return this.#rebuild(reason);
    });
    return this.#queued;
  }

  async #once(reason: string): Promise<RebuildState> {
    const startedAt = performance.now();
    const change = this.#pendingChange;
    this.#pendingChange = undefined;
    const built = this.#build();
    if (!built.ok) return this.#failed(reason, built.error, built.translateSeconds);
    const { result, table, translateSeconds, compileSeconds } = built;
    this.#served.swap(table);
    const swappedAt = performance.now();
    this.#result = result;
    this.#generation += 1;
    this.#listeners = await this.#applyListeners(result);
    const listenersMs = performance.now() - swappedAt;
    const sourceProblems = this.#deps.source.problems();
    const generation = this.#generation;
    const problems = result.problems.length + sourceProblems.length;
    const ports = result.config.ports.length;
    // Plain data, no getter over the result: a state outlives its generation
    // (a caller of `start()` keeps the first one for the process's life), and
    // holding the result would keep that generation's config, its routes and
    // their compiled hosts alive beside every later one. (A rule map counts
    // itself as it is built, so its size costs nothing here.)
    this.#last = {
      time: this.#now().toISOString(),
      ok: true,
      generation,
      message: `Served generation ${generation}: ${ports} port(s), ` +
        `${result.config.rules.size} rule(s), ${problems} problem(s)`,
    };
    this.#deps.observer?.rebuilt({
      ok: true,
      translateSeconds,
      result,
      sourceProblems: sourceProblems.length,
    });
    const t0 = performance.now();
    this.#sinkStatuses(result);
    const doneAt = performance.now();
    logServed(this.#log, {
      reason,
      generation,
      result,
      sourceProblems,
      listeners: this.#listeners,
    }, {
      ...change,
      startedAt,
      translateMs: translateSeconds * 1000,
      compileMs: compileSeconds * 1000,
      swappedAt,
      listenersMs,
      statusMs: doneAt - t0,
      doneAt,
    });
    return this.#last;
  }

  /** Snapshot → translate → compile; never throws. */
  #build(): Built {
    let translateSeconds: number | undefined;
    try {
      this.#builtVersion = this.#store.version();
      const snapshot = this.#store.snapshot();
      const t0 = performance.now();
      let result: TranslateResult;
      try {
        result = this.#deps.translate(snapshot, this.#deps.translateOptions());
      } finally {
        translateSeconds = (performance.now() - t0) / 1000;
      }
      const t1 = performance.now();
      const table = this.#deps.compile(result.config);
      const compileSeconds = (performance.now() - t1) / 1000;
      return { ok: true, result, table, translateSeconds, compileSeconds };
    } catch (error) {
      return { ok: false, error, translateSeconds };
    }
  }

  /**
   * translate never throws on user input: an exception is our bug. The last
   * good table keeps serving rather than nothing.
   */
  #failed(reason: string, error: unknown, translateSeconds?: number): RebuildState {
    const generation = this.#generation;
    this.#last = {
      time: this.#now().toISOString(),
      ok: false,
      generation,
      message: `Cannot rebuild the route table: ${errorMessage(error)}`,
    };
    this.#log.error("rebuild failed; serving the last good configuration", {
      reason,
      generation,
      error,
      stack: error instanceof Error ? error.stack : undefined,
    });
    this.#deps.observer?.rebuilt({
      ok: false,
      translateSeconds,
      sourceProblems: this.#deps.source.problems().length,
    });
    return this.#last;
  }

  /** Binds and closes ports; a listener manager that throws leaves every port unbound. */
  async #applyListeners(result: TranslateResult): Promise<ListenerPortState[]> {
    try {
      return await this.#deps.applyListeners(result);
    } catch (error) {
      this.#log.error("cannot apply listeners", { error, generation: this.#generation });
      return result.config.ports.map((p) => ({
        ...(p.address === undefined ? {} : { address: p.address }),
        port: p.port,
        protocol: p.protocol,
        bound: false,
        error: errorMessage(error),
      }));
    }
  }

  #sinkStatuses(result: TranslateResult): void {
    try {
      // A pool address the host does not have shows in its Gateway's status.
      this.#deps.statusSink?.(resultWithBindFailures(result, this.#listeners));
    } catch (error) {
      this.#log.error("status sink failed", { error, generation: this.#generation });
    }
  }
}
