/**
 * How late the benchmark's own event loop runs a 5 ms timer while it
 * measures: if the fake API server or the probe's client shared a busy loop,
 * watch events and answers would wait as long, and that wait would read as
 * propagation. Lateness also holds the machine's scheduling delay (a busy
 * machine runs the process late), so it bounds the harness's share from above.
 * @module
 */
import { type Spread, spread } from "./_scale_churn.ts";

const TICK_MS = 5;

/** Starts sampling; the returned function stops and gives the lateness in ms. */
export function watchLoopLag(): () => Spread {
  const late: number[] = [];
  let due = performance.now() + TICK_MS;
  const timer = setInterval(() => {
    const now = performance.now();
    late.push(Math.max(0, now - due));
    due = now + TICK_MS;
  }, TICK_MS);
  return () => {
    clearInterval(timer);
    return spread(late);
  };
}
