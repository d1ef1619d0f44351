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
 * One reading a batch: the timestamps of a request on libc's sockets (its
 * start, its end, its connection's idle deadline, its backend connection's
 * idle mark) are taken with {@linkcode batchNow}, which inside a batch of
 * the reactor's readiness reports (`libc_reactor.ts`) is the one reading
 * taken when the batch came, as nginx stamps each turn of its event loop.
 * The batch's scope ends once the continuations its reports queued have
 * run: the reactor runs the ticks and microtasks they queued itself
 * before it closes the scope (what the runtime runs after the callback,
 * run earlier), so no other callback of the event loop ever sees a
 * batch's reading. A request's
 * figures are then from the batch that brought its head to the one that
 * brought its answer; a deadline set from it is earlier, never later,
 * than one from a fresh reading. Outside a batch (timers, Deno's sockets)
 * `batchNow` reads the clock.
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
import { runtimeCore } from "./runtime_core.ts";

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

/** The reading of the reactor batch under way; `undefined` outside one. */
let batchReading: number | undefined;

/**
 * What the runtime runs after each callback of the event loop, if it can
 * be had (`Deno[Deno.internal].core.runNextTicks`, Deno 2.9.6): `node:`
 * modules' `process.nextTick` callbacks and the microtask queue, in
 * Node's order (ticks first, again after each round of microtasks). A
 * bare microtask checkpoint would run promise continuations before ticks
 * queued earlier, which `node:tls` streams do not expect.
 */
const runTicks = (() => {
  const run = runtimeCore()?.runNextTicks;
  return typeof run === "function" ? run as () => void : undefined;
})();

/**
 * {@linkcode monotonicNow}, or inside a batch of readiness reports the
 * reading taken when the batch came (see the module's note).
 */
export function batchNow(): number {
  return batchReading ?? monotonicNow();
}

/** {@linkcode monotonicClock} with {@linkcode batchNow} for its time (the client timeouts' deadlines). */
export const batchClock: Clock = { ...monotonicClock, now: batchNow };

/**
 * Runs `dispatch(n)` (a batch of `n` readiness reports) and then every
 * continuation it queued, with one reading of the clock for each
 * {@linkcode batchNow} among them. Only from a callback of the event loop
 * (the reactor's turn): from a microtask the queue cannot be run, and the
 * continuations then read the clock themselves. Inside another batch, or
 * without the runtime's drain, `dispatch(n)` alone.
 */
export function underOneReading(dispatch: (n: number) => void, n: number): void {
  if (runTicks === undefined || batchReading !== undefined) return dispatch(n);
  batchReading = monotonicNow();
  try {
    dispatch(n);
    runTicks();
  } finally {
    batchReading = undefined;
  }
}
