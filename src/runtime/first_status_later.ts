/**
 * The first result's statuses, handed to the status sink a moment after the
 * first table is served rather than in the same turn. At thousands of routes
 * the status writer's first pass (every wanted status keyed and compared,
 * and the garbage collection it brings on) takes tens of milliseconds of the
 * one thread that also serves the first requests; statuses written a quarter
 * of a second later change nothing for anyone. Every later result goes to the
 * sink at once, as before.
 *
 * @example
 * ```ts
 * import { firstStatusLater } from "./first_status_later.ts";
 * import { systemClock } from "../time/clock.ts";
 * const later = firstStatusLater(
 *   (result) => console.log(result.statuses.length),
 *   systemClock,
 *   (error) => console.error(error),
 * );
 * // reconciler's statusSink: later.sink; at shutdown: later.cancel()
 * later.cancel();
 * ```
 * @module
 */
import type { TranslateResult } from "../model/config.ts";
import type { Clock, Timer } from "../time/clock.ts";

/** How long after the first table is served its statuses go to the sink. */
export const FIRST_STATUS_DELAY_MS = 250;

/** A status sink that holds the first result back; see the module doc. */
export interface FirstStatusLater {
  /** The reconciler's status sink. */
  sink(result: TranslateResult): void;
  /** Drops a result still held back (shutdown). */
  cancel(): void;
}

/**
 * Wraps `sink`: the first result reaches it `delayMs` later; a result that
 * comes meanwhile replaces the held one (the writer works from the latest
 * result alone, as after rebuilds that coalesced), and from the moment the
 * held one is handed over every result goes straight through.
 */
export function firstStatusLater(
  sink: (result: TranslateResult) => void,
  clock: Clock,
  onError: (error: unknown) => void,
  delayMs = FIRST_STATUS_DELAY_MS,
): FirstStatusLater {
  let state: "first" | "holding" | "through" | "cancelled" = "first";
  let held: TranslateResult | undefined;
  let timer: Timer | undefined;
  const handOver = () => {
    if (state !== "holding") return;
    state = "through";
    const result = held!;
    held = undefined;
    // Off the reconciler's turn, so its guard around the sink is not here.
    try {
      sink(result);
    } catch (error) {
      onError(error);
    }
  };
  return {
    sink(result) {
      if (state === "through") return sink(result);
      if (state === "cancelled") return;
      held = result;
      if (state === "first") {
        state = "holding";
        timer = clock.setTimeout(handOver, delayMs);
      }
    },
    cancel() {
      state = "cancelled";
      held = undefined;
      timer?.cancel();
    },
  };
}
