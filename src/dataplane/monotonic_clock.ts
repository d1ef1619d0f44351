/**
 * The data plane's reading of monotonic time, on `performance.now()`'s
 * scale and origin, for the readings a proxied request takes (its start,
 * its end for the duration histogram and the access log, its connection's
 * idle deadline, its upstream deadline).
 *
 * `performance.now()` costs about 800 instructions a call here (Deno 2.9.6,
 * counted under callgrind: a method call checked against its class, then an
 * op that looks its start time up in the runtime's state), and a request
 * took three. Where this process may open glibc's libc (as the libc sockets
 * do, `libc.ts`), `clock_gettime(CLOCK_MONOTONIC)` through a fast FFI call
 * reads the clock `performance.now()` reads (the runtime's `Instant` is
 * CLOCK_MONOTONIC on Linux) for about 220, and an offset taken once at load
 * puts it on `performance.now()`'s origin, so a reading of either can be
 * compared with the other's to within microseconds. Elsewhere
 * {@linkcode monotonicNow} is `performance.now()` itself.
 *
 * @example
 * ```ts
 * import { monotonicClock, monotonicNow } from "./monotonic_clock.ts";
 * const started = monotonicNow();
 * const elapsedMs = monotonicClock.now() - started;
 * ```
 * @module
 */
import { type Clock, sleepOn, systemClock } from "../time/clock.ts";
import { openLibc } from "./libc.ts";

/** `clockid_t` of the clock the runtime's `Instant` reads (Linux). */
const CLOCK_MONOTONIC = 1;

/** Milliseconds of monotonic time; only differences mean anything. */
export type MonotonicNow = () => number;

/**
 * A reading of CLOCK_MONOTONIC in milliseconds through `clock_gettime`, or
 * `undefined` when libc cannot be had (not Linux, no `--allow-ffi` for it).
 */
function libcMonotonic(): MonotonicNow | undefined {
  const opened = openLibc({
    clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
  });
  if (!("symbols" in opened)) return undefined;
  const clockGettime = opened.symbols.clock_gettime;
  // struct timespec of 64-bit Linux: two 64-bit fields, little-endian here.
  const timespec = new Int32Array(4);
  if (clockGettime(CLOCK_MONOTONIC, timespec) !== 0) return undefined;
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (!littleEndian) return undefined;
  // Seconds since boot fit the low 32 bits for 68 years; the high word is read all the same.
  return () => {
    clockGettime(CLOCK_MONOTONIC, timespec);
    return (timespec[1] * 4294967296 + (timespec[0] >>> 0)) * 1000 + timespec[2] / 1e6;
  };
}

/**
 * `performance.now() - libc()` at load: taken from the pair of readings
 * that came closest together of a few, so one preempted pair cannot skew it.
 */
function originOffset(libc: MonotonicNow): number {
  let best = Infinity;
  let offset = 0;
  for (let i = 0; i < 8; i++) {
    const before = performance.now();
    const reading = libc();
    const after = performance.now();
    if (after - before < best) {
      best = after - before;
      offset = (before + after) / 2 - reading;
    }
  }
  return offset;
}

/** What {@linkcode monotonicNow} reads: libc's `clock_gettime`, or `performance.now()`. */
export type MonotonicSource = "clock_gettime" | "performance.now";

function pickMonotonicNow(): { now: MonotonicNow; source: MonotonicSource } {
  const libc = libcMonotonic();
  if (libc === undefined) return { now: () => performance.now(), source: "performance.now" };
  const offset = originOffset(libc);
  return { now: () => libc() + offset, source: "clock_gettime" };
}

const picked = pickMonotonicNow();

/**
 * Monotonic milliseconds on `performance.now()`'s origin, read through libc
 * where it can be (see the module's note), else `performance.now()`.
 */
export const monotonicNow: MonotonicNow = picked.now;

/** Which reading {@linkcode monotonicNow} is in this process (for tests). */
export const monotonicSource: MonotonicSource = picked.source;

/** {@linkcode systemClock}'s timers with {@linkcode monotonicNow} for its time. */
export const monotonicClock: Clock = {
  now: monotonicNow,
  setTimeout: systemClock.setTimeout,
  setInterval: systemClock.setInterval,
  sleep(ms, signal) {
    return sleepOn(monotonicClock, ms, signal);
  },
};
