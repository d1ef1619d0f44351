/**
 * The idle collector of the main isolate, started a second after the first
 * table (`src/dataplane/idle_collector.ts`), and the trim of glibc's heaps a
 * collection arms.
 * @module
 */
import type { IdleCollectorSettings } from "../dataplane/idle_collector.ts";
import type { Logger } from "../log/logger.ts";
import { systemClock } from "../time/clock.ts";
import type { AllocatorTrim } from "./allocator_trim.ts";

/** How long after the first table is served the idle collector starts. */
const COLLECTOR_DELAY_MS = 1_000;

/**
 * The idle collector, started a second after the first table is served: it
 * is for the garbage loads leave behind (it samples every 10 s), and the
 * `node:vm` context that exposes V8's `gc` to it is a sizeable part of
 * start-up, which would otherwise delay the first requests. A collection
 * after a load frees what the load's requests held (their buffers are
 * glibc's), so it arms a trim of glibc's heaps too.
 */
export function startCollectorLater(
  log: Logger,
  trimmer: AllocatorTrim | undefined,
  settings: IdleCollectorSettings | undefined,
): { stop(): void } {
  let collector: { stop(): void } | undefined;
  let stopped = false;
  const timer = systemClock.setTimeout(() => {
    import("../dataplane/idle_collector.ts").then(({ startIdleCollector }) => {
      if (stopped) return;
      collector = startIdleCollector({
        ...settings,
        onCollect: (before, after) => {
          log.debug("collected garbage after load", { before, after });
          trimmer?.arm();
        },
      });
      log.debug("idle collector started", { intervalMs: settings?.intervalMs ?? 10_000 });
    }).catch((error) => log.warn("cannot start the idle collector", { error }));
  }, COLLECTOR_DELAY_MS).unref();
  return {
    stop() {
      stopped = true;
      timer.cancel();
      collector?.stop();
    },
  };
}
