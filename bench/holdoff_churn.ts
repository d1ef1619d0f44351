/**
 * The store's holdoff under route churn, on a simulated clock: a change
 * every `--period` ms (jittered), each rebuild taking `--rebuild` ms (±20%),
 * and a probe change at a random moment every few periods. A probe's wait
 * is from its arrival to the start of the rebuild that includes it: behind
 * a rebuild in progress (the event loop is single), then the holdoff. The
 * real `Holdoff` class runs on the simulated clock, so the figures are
 * exact for the rule and free of the machine's load; `--holdoff PATH`
 * imports another checkout's `src/time/holdoff.ts` to compare.
 *
 * ```sh
 * deno run --allow-read bench/holdoff_churn.ts [--rebuild 2.5,4] [--period 10] [--probes 2000]
 *   [--holdoff OTHER_CHECKOUT/src/time/holdoff.ts]
 * ```
 * @module
 */
// deno-lint-ignore-file no-console
import { flag } from "./_flags.ts";
import type { Clock, Timer } from "../src/time/clock.ts";
import { Holdoff } from "../src/time/holdoff.ts";

type HoldoffClass = typeof Holdoff;

/** A clock whose time moves only when told; the latest timer is the only one the holdoff keeps. */
interface SimTimer {
  at: number;
  callback: () => void;
  live: boolean;
}

class SimClock {
  time = 0;
  #timers: SimTimer[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): Timer {
    const timer: SimTimer = { at: this.time + ms, callback, live: true };
    this.#timers.push(timer);
    const handle = {
      cancel: () => {
        timer.live = false;
      },
      unref: () => handle,
    } as unknown as Timer;
    return handle;
  }

  /** Runs every live timer due by `until`, in order; a callback may move the time on. */
  runUntil(until: number): void {
    for (;;) {
      this.#timers = this.#timers.filter((t) => t.live);
      let next: SimTimer | undefined;
      for (const t of this.#timers) if (next === undefined || t.at < next.at) next = t;
      if (next === undefined || Math.max(next.at, this.time) > until) return;
      this.time = Math.max(this.time, next.at);
      next.live = false;
      next.callback();
    }
  }
}

/** Mean, 90th percentile and max of the probes' waits, and the number of rebuilds. */
export interface ChurnWaits {
  mean: number;
  p90: number;
  max: number;
  rebuilds: number;
}

/** Simulates `probes` probes among changes every `periodMs`, rebuilds of about `rebuildMs`. */
export function simulate(
  H: HoldoffClass,
  rebuildMs: number,
  periodMs: number,
  probes: number,
  seed = 7,
): ChurnWaits {
  let state = seed;
  const random = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const clock = new SimClock();
  const waiting: number[] = [];
  const waits: number[] = [];
  let rebuilds = 0;
  const holdoff = new H({
    holdoffMs: 0,
    maxDelayMs: 500,
    leading: true,
    clock: clock as unknown as Clock,
    fire: () => {
      rebuilds++;
      for (const arrived of waiting.splice(0)) waits.push(clock.time - arrived);
      clock.time += rebuildMs * (0.8 + 0.4 * random());
    },
  });
  const events: { at: number; probe: boolean }[] = [];
  const end = probes * periodMs * 7;
  for (let t = periodMs; t < end; t += periodMs) {
    events.push({ at: t + random() * 2, probe: false });
  }
  for (let i = 0; i < probes; i++) {
    events.push({ at: (i + 0.5) * periodMs * 7 + random() * periodMs, probe: true });
  }
  events.sort((a, b) => a.at - b.at);
  for (const event of events) {
    clock.runUntil(event.at);
    // An event that came during a rebuild is read when it ends.
    clock.time = Math.max(clock.time, event.at);
    if (event.probe) waiting.push(event.at);
    holdoff.arm();
  }
  clock.runUntil(Infinity);
  waits.sort((a, b) => a - b);
  return {
    mean: waits.reduce((a, b) => a + b, 0) / waits.length,
    p90: waits[Math.floor(waits.length * 0.9)],
    max: waits[waits.length - 1],
    rebuilds,
  };
}

if (import.meta.main) {
  const other = Deno.args.includes("--holdoff")
    ? (await import(new URL(flag("holdoff", ""), `file://${Deno.cwd()}/`).href))
      .Holdoff as HoldoffClass
    : undefined;
  const period = Number(flag("period", "10"));
  const probes = Number(flag("probes", "2000"));
  const show = (w: ChurnWaits) =>
    `mean ${w.mean.toFixed(2)} / p90 ${w.p90.toFixed(2)} / max ${
      w.max.toFixed(2)
    } ms (${w.rebuilds} rebuilds)`;
  for (const rebuild of flag("rebuild", "2.5,4").split(",").map(Number)) {
    const line = `rebuilds of ${rebuild} ms, a change every ${period} ms: probe wait ` +
      show(simulate(Holdoff, rebuild, period, probes));
    console.log(other ? `${line}; other ${show(simulate(other, rebuild, period, probes))}` : line);
  }
}
