import { assertEquals } from "@std/assert";
import { firstStatusLater } from "../../src/runtime/first_status_later.ts";
import type { TranslateResult } from "../../src/model/config.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

/** A result told apart by its problem count. */
const result = (n: number) => ({ problems: new Array(n) }) as unknown as TranslateResult;

function recorder() {
  const got: number[] = [];
  return { got, sink: (r: TranslateResult) => got.push(r.problems.length) };
}

const fail = (error: unknown) => {
  throw error;
};

Deno.test("the first result reaches the sink only after the delay", async () => {
  const clock = new FakeClock();
  const { got, sink } = recorder();
  const later = firstStatusLater(sink, clock, fail, 250);
  later.sink(result(1));
  await clock.advance(249);
  assertEquals(got, []);
  await clock.advance(1);
  assertEquals(got, [1]);
});

Deno.test("a result during the delay replaces the held one; later results go straight through", async () => {
  const clock = new FakeClock();
  const { got, sink } = recorder();
  const later = firstStatusLater(sink, clock, fail, 250);
  later.sink(result(1));
  later.sink(result(2));
  assertEquals(clock.pending(), 1);
  await clock.advance(250);
  assertEquals(got, [2]);
  later.sink(result(3));
  assertEquals(got, [2, 3]);
  assertEquals(clock.pending(), 0);
});

Deno.test("cancel drops the held result and everything after it", async () => {
  const clock = new FakeClock();
  const { got, sink } = recorder();
  const later = firstStatusLater(sink, clock, fail, 250);
  later.sink(result(1));
  later.cancel();
  await clock.advance(1_000);
  later.sink(result(2));
  assertEquals(got, []);
  assertEquals(clock.pending(), 0);
});

Deno.test("a sink that throws on the held result is reported, not thrown from the timer", async () => {
  const clock = new FakeClock();
  const errors: string[] = [];
  const later = firstStatusLater(
    () => {
      throw new Error("boom");
    },
    clock,
    (error) => errors.push((error as Error).message),
    250,
  );
  later.sink(result(1));
  await clock.advance(250);
  assertEquals(errors, ["boom"]);
});
