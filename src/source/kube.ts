/**
 * The Kubernetes source: one list+watch loop per watched kind (see
 * `kube_watch.ts`), all feeding one `Store`.
 *
 * @example
 * ```ts
 * import { createKubeClient } from "../kube/client.ts";
 * import { loadKubeConnection } from "../kube/kubeconfig.ts";
 * import { createLogger } from "../log/logger.ts";
 * import { createKubeSource } from "./kube.ts";
 * import { createStore } from "./store.ts";
 * const client = createKubeClient(await loadKubeConnection({ kubeconfig: "./kubeconfig" }));
 * const source = createKubeSource({ client, store: createStore(), logger: createLogger() });
 * await source.start(); // every kind listed once
 * ```
 * @module
 */
import type { Logger } from "../log/logger.ts";
import type { KubeClient } from "../kube/client.ts";
import { WATCHED_KINDS, type WatchedKind } from "../kube/kinds.ts";
import type { KindWatcher, KubeWatchTiming } from "./kind_watcher.ts";
import { createKindWatcher } from "./kube_watch.ts";
import type { ObjectValidator } from "./kube_objects.ts";
import type { KindSyncState, Source } from "./source.ts";
import type { Store } from "./store.ts";
import { internedValidator, validateKubeObject } from "./kube_validate.ts";

/** Options of {@linkcode createKubeSource}. */
export interface KubeSourceOptions {
  /** The API client; the caller owns it (the status writer shares it) and closes it. */
  client: KubeClient;
  logger: Logger;
  /** The one store the runtime made; the source writes every object here. */
  store: Store;
  /** Default: {@linkcode validateKubeObject}, its objects' strings interned. */
  validate?: ObjectValidator;
  timing?: KubeWatchTiming;
  /** Default {@linkcode WATCHED_KINDS}. */
  kinds?: readonly WatchedKind[];
  random?: () => number;
  /**
   * Told each kind's sync state: `false` for every kind at `start()`, then
   * `true` as each kind completes its first list (metrics). Must not throw.
   */
  onSyncChange?: (kind: string, synced: boolean) => void;
  /** Told each time a kind's watch ended and is started again (metrics). Must not throw. */
  onWatchRestart?: (kind: string) => void;
}

/** Creates the Kubernetes source; nothing is requested before `start()`. */
export function createKubeSource(options: KubeSourceOptions): Source {
  const { store } = options;
  const logger = options.logger.child({ component: "kube-source" });
  // One validator for every kind: one table of the strings they share.
  const validate = options.validate ?? internedValidator(validateKubeObject);
  const watchers: KindWatcher[] = (options.kinds ?? WATCHED_KINDS).map((kind) =>
    createKindWatcher({
      kind,
      client: options.client,
      store,
      validate,
      logger,
      timing: options.timing,
      random: options.random,
      onWatchRestart: options.onWatchRestart && (() => options.onWatchRestart?.(kind.kind)),
    })
  );
  const syncChanged = (kind: string, synced: boolean) => {
    try {
      options.onSyncChange?.(kind, synced);
    } catch (err) {
      logger.error("sync observer failed", { error: err });
    }
  };
  let stopped = false;

  return {
    kind: "kube",
    store,
    async start() {
      logger.info("watching the Kubernetes API", { server: options.client.server });
      for (const w of watchers) {
        syncChanged(w.kind.kind, false);
        // `synced` also resolves at stop; the state says whether a list completed.
        w.synced.then(() => {
          if (!stopped) syncChanged(w.kind.kind, w.state().synced);
        });
        w.start();
      }
      await Promise.all(watchers.map((w) => w.synced));
      if (!stopped) logger.info("initial sync complete", { kinds: watchers.length });
    },
    async reload() {
      const results = await Promise.all(watchers.map((w) => w.relist()));
      const failed = watchers.filter((_, i) => !results[i]).map((w) => w.kind.kind);
      const problems = watchers.flatMap((w) => w.problems());
      return failed.length === 0
        ? { ok: true, problems, message: `Relisted ${watchers.length} kinds` }
        : {
          ok: false,
          problems,
          message: `Cannot relist ${failed.join(", ")}: ${
            failed.map((k) => watchers.find((w) => w.kind.kind === k)?.state().lastError)
              .join("; ")
          }`,
        };
    },
    syncState() {
      const out: Record<string, KindSyncState> = {};
      for (const w of watchers) out[w.kind.kind] = w.state();
      return out;
    },
    problems() {
      return watchers.flatMap((w) => w.problems());
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all(watchers.map((w) => w.stop()));
      store.close();
    },
  };
}
