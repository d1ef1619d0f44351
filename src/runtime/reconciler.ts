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
import type { GatewayConfig, TranslateOptions, TranslateResult } from "../model/config.ts";
import type { Snapshot } from "../model/snapshot.ts";
import type { RebuildState } from "../admin/gateway_state.ts";
import type { ListenerPortState } from "../dataplane/listener_port_state.ts";
import { statusesWithBindFailures } from "./bind_failures.ts";
import { ServedTable } from "./served_table.ts";

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
  const log = deps.logger;
  const now = deps.now ?? (() => new Date());
  const served = deps.served ?? new ServedTable();
  const store = deps.source.store;
  // The store version the latest rebuild read: a change signal for a version
  // already built (say, the holdoff after a reload that rebuilt at once) is
  // not a second rebuild.
  let builtVersion: number | undefined;
  let result: TranslateResult | undefined;
  let listeners: ListenerPortState[] = [];
  let last: RebuildState | undefined;
  let generation = 0;
  let isStarted = false;
  let unsubscribe: (() => void) | undefined;
  // Serialisation: `running` is the rebuild in progress; `queued` the one after it.
  let running: Promise<RebuildState> | undefined;
  let queued: Promise<RebuildState> | undefined;

  const once = async (reason: string): Promise<RebuildState> => {
    const started = performance.now();
    let translated: TranslateResult;
    let compiled: RouteTable;
    let translateSeconds: number | undefined;
    try {
      builtVersion = store.version();
      const snapshot = store.snapshot();
      const t0 = performance.now();
      try {
        translated = deps.translate(snapshot, deps.translateOptions());
      } finally {
        translateSeconds = (performance.now() - t0) / 1000;
      }
      compiled = deps.compile(translated.config);
    } catch (error) {
      // translate never throws on user input: an exception here is our bug.
      // Keep serving the last good table rather than nothing.
      last = {
        time: now().toISOString(),
        ok: false,
        generation,
        message: `Cannot rebuild the route table: ${errorMessage(error)}`,
      };
      log.error("rebuild failed; serving the last good configuration", {
        reason,
        generation,
        error,
        stack: error instanceof Error ? error.stack : undefined,
      });
      deps.observer?.rebuilt({
        ok: false,
        translateSeconds,
        sourceProblems: deps.source.problems().length,
      });
      return last;
    }
    served.swap(compiled);
    result = translated;
    generation += 1;
    try {
      listeners = await deps.applyListeners(translated);
    } catch (error) {
      log.error("cannot apply listeners", { error, generation });
      listeners = translated.config.ports.map((p) => ({
        ...(p.address === undefined ? {} : { address: p.address }),
        port: p.port,
        protocol: p.protocol,
        bound: false,
        error: errorMessage(error),
      }));
    }
    const sourceProblems = deps.source.problems().length;
    const unbound = listeners.filter((l) => !l.bound);
    last = {
      time: now().toISOString(),
      ok: true,
      generation,
      message: `Served generation ${generation}: ${translated.config.ports.length} port(s), ` +
        `${Object.keys(translated.config.rules).length} rule(s), ` +
        `${translated.problems.length + sourceProblems} problem(s)`,
    };
    deps.observer?.rebuilt({ ok: true, translateSeconds, result: translated, sourceProblems });
    try {
      // A pool address the host does not have shows in its Gateway's status.
      const statuses = statusesWithBindFailures(translated, listeners);
      deps.statusSink?.(
        statuses === translated.statuses ? translated : { ...translated, statuses },
      );
    } catch (error) {
      log.error("status sink failed", { error, generation });
    }
    const fields = {
      reason,
      generation,
      ports: translated.config.ports.map((p) =>
        p.address === undefined ? p.port : `${p.address}:${p.port}`
      ),
      rules: Object.keys(translated.config.rules).length,
      problems: translated.problems.length,
      sourceProblems,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    };
    if (unbound.length > 0) {
      log.warn("configuration served, but some ports are not bound", {
        ...fields,
        unbound: unbound.map((l) => ({ port: l.port, error: l.error })),
      });
    } else if (translated.problems.length + sourceProblems > 0) {
      log.warn("configuration served with problems", {
        ...fields,
        first: [...deps.source.problems(), ...translated.problems].slice(0, 5),
      });
    } else {
      log.info("configuration served", fields);
    }
    return last;
  };

  const rebuild = (reason: string): Promise<RebuildState> => {
    if (!running) {
      running = once(reason).finally(() => {
        running = undefined;
      });
      return running;
    }
    // One rebuild after the current one covers every change that arrived meanwhile.
    queued ??= running.then(() => {
      queued = undefined;
      return rebuild(reason);
    });
    return queued;
  };

  return {
    table: () => served.current(),
    result: () => result,
    listeners: () => listeners,
    lastRebuild: () => last,
    started: () => isStarted,
    start() {
      if (!isStarted) {
        isStarted = true;
        unsubscribe = store.onChange(() => {
          // The initial load (and a reload) armed the holdoff, but the rebuild
          // they asked for already read that version.
          if (store.version() === builtVersion) return;
          rebuild("store changed").catch((error) => {
            log.error("rebuild failed unexpectedly", { error });
          });
        });
      }
      return rebuild("initial sync");
    },
    rebuild(reason) {
      if (!isStarted) {
        return Promise.resolve(
          last ?? {
            time: now().toISOString(),
            ok: false,
            generation: 0,
            message: "Cannot rebuild before the source's first sync",
          },
        );
      }
      return rebuild(reason);
    },
    stop() {
      unsubscribe?.();
      unsubscribe = undefined;
    },
  };
}
