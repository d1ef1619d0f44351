import { assert, assertEquals } from "@std/assert";
import { systemClock } from "../../src/time/clock.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

Deno.test("the system clock's sleep resolves at once when its signal is already aborted", async () => {
  const abort = new AbortController();
  abort.abort();
  const started = systemClock.now();
  await systemClock.sleep(60_000, abort.signal);
  assert(systemClock.now() - started < 60_000);
});

Deno.test("the system clock's sleep ends when its signal aborts, and its timer is cleared", async () => {
  const abort = new AbortController();
  const slept = systemClock.sleep(60_000, abort.signal);
  abort.abort();
  await slept; // The test sanitizer fails the test if the 60 s timer were left pending.
});

Deno.test("a cancelled system timer never fires", async () => {
  let fired = 0;
  const timer = systemClock.setTimeout(() => fired++, 0);
  timer.cancel();
  timer.cancel();
  await systemClock.sleep(1);
  assertEquals(fired, 0);
});

Deno.test("the fake clock fires due timers in order of due time, reading that time", async () => {
  const clock = new FakeClock(0);
  const seen: string[] = [];
  clock.setTimeout(() => seen.push(`b@${clock.now()}`), 20);
  clock.setTimeout(() => seen.push(`a@${clock.now()}`), 10);
  clock.setTimeout(() => seen.push(`c@${clock.now()}`), 20);
  clock.setTimeout(() => seen.push(`late@${clock.now()}`), 31);
  await clock.advance(30);
  assertEquals(seen, ["a@10", "b@20", "c@20"]);
  assertEquals(clock.now(), 30);
  assertEquals(clock.pending(), 1);
  assertEquals(clock.nextDelay(), 1);
});

Deno.test("the fake clock runs code that awaits between timers, like a retry loop", async () => {
  const clock = new FakeClock(0);
  const attempts: number[] = [];
  const loop = (async () => {
    for (let i = 0; i < 3; i++) {
      attempts.push(clock.now());
      await Promise.resolve();
      await clock.sleep(100);
    }
  })();
  await clock.advance(250);
  assertEquals(attempts, [0, 100, 200]);
  await clock.advance(100);
  await loop;
});

Deno.test("fake intervals repeat until cancelled; cancelled timeouts never fire", async () => {
  const clock = new FakeClock(0);
  let ticks = 0;
  let fired = 0;
  const interval = clock.setInterval(() => ticks++, 10);
  clock.setTimeout(() => fired++, 5).cancel();
  await clock.advance(35);
  assertEquals(ticks, 3);
  interval.cancel();
  await clock.advance(100);
  assertEquals(ticks, 3);
  assertEquals(fired, 0);
  assertEquals(clock.pending(), 0);
});

Deno.test("whenPending resolves once the code under test waits on the clock", async () => {
  const clock = new FakeClock(0);
  const abort = new AbortController();
  const waited = clock.whenPending(1);
  const slept = clock.sleep(1_000, abort.signal);
  await waited;
  assertEquals(clock.pending(), 1);
  abort.abort();
  await slept;
  assertEquals(clock.pending(), 0);
});

Deno.test("systemClock: a timer of 0 ms runs on a later turn, once, and cancel stops it", async () => {
  const fired: string[] = [];
  systemClock.setTimeout(() => fired.push("zero"), 0);
  const cancelled = systemClock.setTimeout(() => fired.push("cancelled"), 0);
  const negative = systemClock.setTimeout(() => fired.push("negative"), -5);
  cancelled.cancel();
  cancelled.cancel();
  assertEquals(fired, [], "not inside setTimeout");
  // Next-turn callbacks run in the order they were scheduled, so one
  // scheduled last has run after the others, whatever the machine's speed.
  await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 0));
  assertEquals(fired, ["zero", "negative"]);
  negative.cancel();
  assertEquals(negative.unref(), negative);
});
