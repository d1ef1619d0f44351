/**
 * Hands glibc's free memory back to the system after route changes.
 *
 * Each route change frees memory that Deno and V8 took from glibc's
 * `malloc` (the compiler's zones, the watch stream's and the status
 * writer's buffers, on the main thread and on V8's and Deno's helper
 * threads). glibc keeps freed blocks for reuse, and gives back only what
 * sits at the top of a heap: blocks freed in the middle stay resident.
 * Measured at 5,000 routes after 1,000 changes (`bench/memory.ts
 * --malloc-info`): 18-22 MiB free but kept of 33-37 MiB taken from the
 * system, most of it in free chunks of 128 KiB to 1 MiB, and
 * `malloc_trim(0)` cut RSS by 16 MiB (glibc's heaps 32.8 -> 16.8 MiB).
 * `malloc_trim(0)` releases the pages inside free chunks too (glibc 2.8 and
 * later), which no trim threshold reaches.
 *
 * So a rebuild arms one `malloc_trim(0)`, `delayMs` later and at least
 * `intervalMs` after the last one: a burst of changes is one trim, steady
 * churn one an interval, and never in the turn that serves a change. A
 * status write arms one too: with no route changes after start-up, the
 * status writer's writes (10 a second at most, for minutes at thousands of
 * routes) left glibc's heaps at 16.8-17.0 MiB 15 s after the first table at
 * 5,000 routes, 13.1-13.6 with a trim after them. The call goes to libc through FFI,
 * which needs `--allow-ffi` for libc's path (the start task and the compiled
 * binary have it for libc's usual paths); without it, or not on Linux, no
 * trim runs and {@linkcode mallocTrim} says why.
 *
 * @example
 * ```ts
 * import { AllocatorTrim } from "./allocator_trim.ts";
 * let trims = 0;
 * const trimmer = new AllocatorTrim({ trim: () => trims++ });
 * trimmer.arm(); // one trim follows, 100 ms later
 * trimmer.stop();
 * ```
 * @module
 */
import { openLibc } from "../dataplane/libc.ts";
import { type Clock, systemClock, type Timer } from "../time/clock.ts";

/** Options of {@linkcode AllocatorTrim}. */
export interface AllocatorTrimOptions {
  /** Releases free memory; returns nothing useful. */
  trim: () => void;
  /** From the rebuild that arms a trim to the trim (default 100 ms). */
  delayMs?: number;
  /** Least time from one trim to the next (default 1 s). */
  intervalMs?: number;
  clock?: Clock;
  /** Hears each trim and how long it took, in ms. */
  onTrim?: (ms: number) => void;
}

/** Default time from the rebuild that arms a trim to the trim. */
export const TRIM_DELAY_MS = 100;
/** Default least time between two trims. */
export const TRIM_INTERVAL_MS = 1_000;

/** Schedules trims after rebuilds and status writes; see the module's comment. */
export class AllocatorTrim {
  readonly #trim: () => void;
  readonly #delayMs: number;
  readonly #intervalMs: number;
  readonly #clock: Clock;
  readonly #onTrim?: (ms: number) => void;
  #timer: Timer | undefined;
  #lastTrimAt = -Infinity;
  #trims = 0;
  #stopped = false;

  constructor(options: AllocatorTrimOptions) {
    this.#trim = options.trim;
    this.#delayMs = options.delayMs ?? TRIM_DELAY_MS;
    this.#intervalMs = options.intervalMs ?? TRIM_INTERVAL_MS;
    this.#clock = options.clock ?? systemClock;
    this.#onTrim = options.onTrim;
  }

  /** Trims run so far. */
  trims(): number {
    return this.#trims;
  }

  /**
   * Work that frees memory was done (a table swapped in, a status written):
   * a trim follows `delayMs` later, or an interval after the last.
   */
  arm(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    const now = this.#clock.now();
    const wait = Math.max(this.#delayMs, this.#lastTrimAt + this.#intervalMs - now);
    this.#timer = this.#clock.setTimeout(() => this.#run(), wait).unref();
  }

  /** No trim runs after this. */
  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #run(): void {
    this.#timer = undefined;
    const started = this.#clock.now();
    this.#lastTrimAt = started;
    this.#trim();
    this.#trims++;
    this.#onTrim?.(this.#clock.now() - started);
  }
}

/**
 * glibc's `malloc_trim(0)` through FFI, or why it cannot be had (not Linux,
 * no `--allow-ffi` for libc's paths, no such symbol: another C library).
 * The permission is asked first, so `deno run` without it never prompts.
 */
export function mallocTrim(): { trim: () => void } | { problem: string } {
  const found = openLibc({ malloc_trim: { parameters: ["usize"], result: "i32" } });
  if ("problem" in found) return { problem: `cannot call malloc_trim (${found.problem})` };
  const { malloc_trim } = found.symbols;
  return { trim: () => void malloc_trim(0n) };
}
