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
