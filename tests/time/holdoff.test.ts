import { assertEquals } from "@std/assert";
import { Holdoff } from "../../src/time/holdoff.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

function setup() {
  const clock = new FakeClock();
  let fired = 0;
  const holdoff = new Holdoff({ holdoffMs: 100, maxDelayMs: 500, clock, fire: () => fired++ });
  return { clock, holdoff, fired: () => fired };
}

Deno.test("a burst of changes fires once, after the quiet time that follows the last", async () => {
  const { clock, holdoff, fired } = setup();
  for (let i = 0; i < 5; i++) {
    holdoff.arm();
    await clock.advance(60);
  }
  assertEquals(fired(), 0, "each change restarted the quiet time");
  await clock.advance(39);
  assertEquals(fired(), 0);
  await clock.advance(1);
  assertEquals(fired(), 1);
  await clock.advance(1_000);
  assertEquals(fired(), 1);
});

Deno.test("changes that never stop still fire at the cap, counted from the first", async () => {
  const { clock, holdoff, fired } = setup();
  for (let i = 0; i < 10; i++) {
    holdoff.arm();
    await clock.advance(50);
  }
  assertEquals(fired(), 1, "fired at 500 ms although changes kept coming");
  holdoff.arm();
  await clock.advance(100);
  assertEquals(fired(), 2, "the next burst starts afresh");
});

Deno.test("flush fires a waiting burst now; cancel drops it", async () => {
  const { clock, holdoff, fired } = setup();
  holdoff.flush();
  assertEquals(fired(), 0, "nothing waiting, nothing fired");
  holdoff.arm();
  assertEquals(holdoff.pending, true);
  holdoff.flush();
  assertEquals([fired(), holdoff.pending], [1, false]);
  holdoff.arm();
  holdoff.cancel();
  await clock.advance(1_000);
  assertEquals(fired(), 1);
});

function leadingSetup() {
  const clock = new FakeClock();
  const firedAt: number[] = [];
  const start = clock.now();
  const holdoff = new Holdoff({
    holdoffMs: 10,
    maxDelayMs: 500,
    leading: true,
    clock,
    fire: () => firedAt.push(clock.now() - start),
  });
  return { clock, holdoff, firedAt };
}

Deno.test("leading: a change that finds the holdoff idle fires on the next turn, without waiting", async () => {
  const { clock, holdoff, firedAt } = leadingSetup();
  holdoff.arm();
  holdoff.arm();
  assertEquals(firedAt, [], "not inside arm(): the events of one read are one fire");
  assertEquals(clock.nextDelay(), 0);
  await clock.advance(0);
  assertEquals(firedAt, [0], "two changes of the same turn fired once, at once");
});

Deno.test("leading: changes within the window after a fire wait for its end and fire once together", async () => {
  const { clock, holdoff, firedAt } = leadingSetup();
  holdoff.arm();
  await clock.advance(0);
  await clock.advance(3);
  holdoff.arm();
  await clock.advance(4);
  holdoff.arm();
  assertEquals(firedAt, [0]);
  await clock.advance(2);
  assertEquals(firedAt, [0], "the window is 10 ms from the end of the last fire");
  await clock.advance(1);
  assertEquals(firedAt, [0, 10]);
  await clock.advance(50);
  holdoff.arm();
  await clock.advance(0);
  assertEquals(firedAt, [0, 10, 60], "idle again: the next change fires at once");
});

Deno.test("leading: changes that never stop fire once per window, not once per change", async () => {
  const { clock, holdoff, firedAt } = leadingSetup();
  for (let t = 0; t < 100; t++) {
    holdoff.arm();
    await clock.advance(1);
  }
  assertEquals(firedAt, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
});

Deno.test("leading: the window starts where a slow fire ends and lasts as long as the fire took", async () => {
  const fake = new FakeClock();
  // A fire that takes 25 ms: the clock it reads jumps while it runs.
  let busy = 0;
  const clock = { ...fake, now: () => fake.now() + busy, setTimeout: fake.setTimeout.bind(fake) };
  const start = clock.now();
  const firedAt: number[] = [];
  const holdoff = new Holdoff({
    holdoffMs: 10,
    maxDelayMs: 500,
    leading: true,
    clock: clock as unknown as FakeClock,
    fire: () => {
      firedAt.push(clock.now() - start);
      busy += 25;
    },
  });
  holdoff.arm();
  await fake.advance(0);
  holdoff.arm();
  assertEquals(fake.nextDelay(), 25, "after the end of the fire, as long as it took (> 10 ms)");
  await fake.advance(24);
  assertEquals(firedAt, [0]);
  await fake.advance(1);
  assertEquals(firedAt, [0, 50], "25 ms of fire, then 25 ms for everything else");
});

Deno.test("leading: flush fires a waiting change now and cancel drops it", async () => {
  const { clock, holdoff, firedAt } = leadingSetup();
  holdoff.arm();
  holdoff.flush();
  assertEquals(firedAt, [0]);
  holdoff.arm();
  assertEquals(holdoff.pending, true);
  holdoff.cancel();
  await clock.advance(100);
  assertEquals(firedAt, [0]);
});
