import { assert, assertEquals } from "@std/assert";
import {
  monotonicClock,
  monotonicNow,
  monotonicSource,
} from "../../src/dataplane/monotonic_clock.ts";
import { createDeadlineTimer } from "../../src/dataplane/deadline_timer.ts";

// The tests run with --allow-ffi, as the start task grants libc.
const onGlibcLinux = Deno.build.os === "linux" &&
  Deno.permissions.querySync({ name: "ffi" }).state === "granted";

Deno.test("the data plane reads monotonic time through libc's clock_gettime where libc can be had", () => {
  assertEquals(monotonicSource, onGlibcLinux ? "clock_gettime" : "performance.now");
});

Deno.test("a monotonic reading falls between the performance.now() readings around it", () => {
  // Off performance.now()'s origin it would be hours away; the offset taken at load is
  // within microseconds. The margin only covers a reading pair the scheduler split.
  for (let i = 0; i < 1000; i++) {
    const before = performance.now();
    const reading = monotonicNow();
    const after = performance.now();
    assert(
      reading >= before - 1 && reading <= after + 1,
      `${reading} is not between ${before} and ${after}`,
    );
  }
});

Deno.test("monotonic readings never go back and keep sub-millisecond steps", () => {
  let last = monotonicNow();
  let fractional = false;
  for (let i = 0; i < 10_000; i++) {
    const now = monotonicNow();
    assert(now >= last, `${now} after ${last}`);
    if (now !== Math.floor(now)) fractional = true;
    last = now;
  }
  assert(fractional, "readings are whole milliseconds");
});

Deno.test("the default deadline timer fires on the monotonic clock", async () => {
  const timer = createDeadlineTimer();
  // The timer's interval is unref'd: something must keep the test's loop alive.
  const keepAlive = setInterval(() => {}, 1_000);
  try {
    const armed = monotonicClock.now();
    const fired = Promise.withResolvers<number>();
    timer.arm(20, () => fired.resolve(monotonicNow()), armed);
    assert(await fired.promise >= armed + 20);
  } finally {
    clearInterval(keepAlive);
    timer.close();
  }
});
