/**
 * Collects the garbage a load leaves behind once the load stops. V8 collects
 * when JavaScript allocates; an embedder is expected to tell it when the
 * process goes idle (Chrome does; Deno does not), so after a burst of
 * clients (stalled uploads, a flood) the garbage of their requests (heap
 * objects and the `ArrayBuffer`s of their read buffers, freed only with
 * them) stays until traffic comes back. Measured here with 1,000 stalled
 * 64 KiB uploads, then closed: 30 MiB of RSS stayed for as long as the
 * process was left alone, and a full collection gave it back.
 *
 * The collector samples the heap every `intervalMs`. When the heap did not
 * move between two samples (no allocation: the isolate is idle) and it is at
 * least `growthBytes` above what the last collection left, it runs one full
 * collection and tells `onCollect`. It does the same at the first idle
 * sample after busy ones when the process's RSS is at least
 * `rssGrowthBytes` above the lowest it has seen. While RSS stays that high
 * and the isolate quiet, it tries again after {@linkcode RSS_RETRY_FIRST}
 * samples, then twice as long each time, up to {@linkcode RSS_RETRY_MAX}:
 * clients that leave may free their buffers without moving the heap (what
 * they held becomes garbage, and nothing allocates), so the burst's end
 * cannot always be seen; and RSS that nothing gives back (live
 * connections) costs a collection every 16 minutes at most.
 * Under load the heap moves between samples and V8's own collections do the
 * work, so the collector stays out of the way. RSS counts because most of
 * what a load holds is not V8's heap:
 * the read buffers of a thousand stalled uploads grew RSS by ~90 MiB and the
 * heap by less than 1. The gateway trims glibc's heaps after a collection
 * (`src/runtime/allocator_trim.ts`), which is what gives that back.
 *
 * The collection function is V8's `gc`, exposed at run time through
 * `node:v8`'s `setFlagsFromString("--expose-gc")` and a new `node:vm`
 * context: no Deno flag and no permission needed.
 * @module
 */
import { type Clock, systemClock, type Timer } from "../time/clock.ts";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Options of {@linkcode startIdleCollector}. */
export interface IdleCollectorOptions {
  /** Sampling period (default 10 s). */
  intervalMs?: number;
  /** Growth over the last collection's result that makes an idle heap worth collecting (default 32 MiB). */
  growthBytes?: number;
  /** The process's RSS over the lowest seen that counts too, once a burst (default 32 MiB). */
  rssGrowthBytes?: number;
  /** Heap movement between two samples still counted as idle (default 256 KiB). */
  idleSlackBytes?: number;
  clock?: Clock;
  /** Bytes of heap in use (default `Deno.memoryUsage().heapUsed`). */
  heapUsed?: () => number;
  /** The process's resident bytes (default `Deno.memoryUsage().rss`). */
  rss?: () => number;
  /** A full collection (default V8's `gc`); absent when it cannot be had. */
  collect?: () => void;
  /** Hears each collection: heap before and after, in bytes. */
  onCollect?: (before: number, after: number) => void;
}

/** The sampling and thresholds of a collector, without its hooks (settable in tests). */
export type IdleCollectorSettings = Pick<
  IdleCollectorOptions,
  "intervalMs" | "growthBytes" | "rssGrowthBytes" | "idleSlackBytes"
>;

/** A running collector. */
export interface IdleCollector {
  /** Collections run so far. */
  collections(): number;
  stop(): void;
}

/** V8's `gc`, or undefined when this runtime does not let it be exposed. */
export function v8Collect(): (() => void) | undefined {
  try {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc");
    return typeof gc === "function" ? () => gc() : undefined;
  } catch {
    return undefined;
  }
}

/** Samples (10 s each by default) from the first RSS collection to its first retry while RSS stays up. */
export const RSS_RETRY_FIRST = 6;
/** The longest wait between such retries, in samples (16 minutes by default). */
export const RSS_RETRY_MAX = 96;

const heapUsedNow = () => Deno.memoryUsage().heapUsed;
const rssNow = () => Deno.memoryUsage().rss;

/**
 * Starts sampling; the timer never keeps the process alive.
 *
 * @example
 * ```ts
 * import { startIdleCollector } from "./idle_collector.ts";
 * const collector = startIdleCollector();
 * collector.stop();
 * ```
 */
export function startIdleCollector(options: IdleCollectorOptions = {}): IdleCollector {
  const clock = options.clock ?? systemClock;
  const growth = options.growthBytes ?? 32 * 1024 * 1024;
  const slack = options.idleSlackBytes ?? 256 * 1024;
  const heapUsed = options.heapUsed ?? heapUsedNow;
  const rssGrowth = options.rssGrowthBytes ?? 32 * 1024 * 1024;
  const rss = options.rss ?? rssNow;
  const collect = "collect" in options ? options.collect : v8Collect();
  let floor = heapUsed();
  /** The lowest RSS seen. */
  let rssFloor = rss();
  /** Whether the heap moved between the last two samples (the isolate was busy). */
  let busy = false;
  let previous = floor;
  /** Samples until RSS that stays up is collected again (while quiet); `undefined`: RSS is down. */
  let rssRetryIn: number | undefined;
  /** The wait after the next RSS collection, in samples (doubling while RSS stays up). */
  let rssBackoff = RSS_RETRY_FIRST;
  let collections = 0;
  let timer: Timer | undefined;

  const sample = () => {
    const heap = heapUsed();
    const resident = rss();
    const idle = Math.abs(heap - previous) <= slack;
    const justQuiet = idle && busy;
    busy = !idle;
    previous = heap;
    // A heap that shrank on its own (V8 collected) is the new floor; so is a smaller RSS.
    if (heap < floor) floor = heap;
    if (resident < rssFloor) rssFloor = resident;
    const rssUp = resident - rssFloor >= rssGrowth;
    let retryDue = false;
    if (!rssUp) {
      rssRetryIn = undefined;
      rssBackoff = RSS_RETRY_FIRST;
    } else {
      rssRetryIn = (rssRetryIn ?? rssBackoff) - 1;
      retryDue = rssRetryIn <= 0;
    }
    if (collect === undefined || !idle) return;
    // RSS counts at the first quiet sample after busy ones: a collection
    // while a load's memory is still held (stalled clients) is followed by
    // another when they leave (closing them is work). When their leaving
    // moved nothing, the retry finds it; RSS that nothing gives back (live
    // connections) is tried less and less often.
    const rssDue = rssUp && (justQuiet || retryDue);
    if (heap - floor < growth && !rssDue) return;
    if (rssUp) {
      rssRetryIn = rssBackoff;
      rssBackoff = Math.min(rssBackoff * 2, RSS_RETRY_MAX);
    }
    collect();
    collections++;
    floor = previous = heapUsed();
    options.onCollect?.(heap, floor);
  };

  timer = clock.setInterval(sample, options.intervalMs ?? 10_000).unref();
  return {
    collections: () => collections,
    stop() {
      timer?.cancel();
      timer = undefined;
    },
  };
}
