import { assertEquals } from "@std/assert";
import { createTokenBucket } from "../../src/status/token_bucket.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

Deno.test("a token bucket gives its burst at once, then one token per 1/perSecond", async () => {
  const clock = new FakeClock(0);
  const bucket = createTokenBucket({ perSecond: 4, burst: 2 }, clock);
  const taken: number[] = [];
  const takeAll = (async () => {
    for (let i = 0; i < 5; i++) {
      await bucket.take();
      taken.push(clock.now());
    }
  })();
  await clock.whenPending(1);
  assertEquals(taken, [0, 0]);
  await clock.advance(1_000);
  await takeAll;
  assertEquals(taken, [0, 0, 250, 500, 750]);
});

Deno.test("tokens refill while idle, up to the burst and no more", async () => {
  const clock = new FakeClock(0);
  const bucket = createTokenBucket({ perSecond: 10, burst: 3 }, clock);
  for (let i = 0; i < 3; i++) await bucket.take();
  await clock.advance(60_000);
  for (let i = 0; i < 3; i++) await bucket.take();
  const fourth = bucket.take();
  await clock.whenPending(1);
  assertEquals(clock.nextDelay(), 100);
  await clock.advance(100);
  await fourth;
});

Deno.test("an aborted take returns at once without a token and leaves no timer", async () => {
  const clock = new FakeClock(0);
  const bucket = createTokenBucket({ perSecond: 1, burst: 1 }, clock);
  await bucket.take();
  const abort = new AbortController();
  const waiting = bucket.take(abort.signal);
  await clock.whenPending(1);
  abort.abort();
  await waiting;
  assertEquals(clock.pending(), 0);
});
