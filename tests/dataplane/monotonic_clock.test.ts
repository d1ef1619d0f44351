import { assert, assertEquals } from "@std/assert";
import {
  batchClock,
  batchNow,
  monotonicClock,
  monotonicNow,
  monotonicSource,
  underOneReading,
} from "../../src/dataplane/monotonic_clock.ts";
import process from "node:process";
import { libcConnect } from "../../src/dataplane/libc_connect.ts";
import { libcReactor } from "../../src/dataplane/libc_reactor.ts";
import { libcListen } from "../../src/dataplane/libc_listener.ts";
import type { LibcConn } from "../../src/dataplane/libc_socket.ts";
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

/** A reading after `since`: the clock is read until it moved (a busy wait on the clock, not a sleep). */
function after(since: number): number {
  for (;;) {
    const now = monotonicNow();
    if (now > since) return now;
  }
}

Deno.test("outside a batch of socket reports, batchNow reads the clock each time", () => {
  const first = batchNow();
  after(first);
  assert(batchNow() > first);
  assert(batchClock.now() > first);
});

Deno.test("inside a batch, every batchNow is its one reading: in the dispatch and in the continuations it queued, and not after it", async () => {
  const seen: number[] = [];
  let moved = 0;
  let outside = 0;
  const done = Promise.withResolvers<void>();
  // From a timer, as the reactor runs a batch from a callback of the event loop.
  setTimeout(() => {
    underOneReading((n) => {
      assertEquals(n, 3);
      seen.push(batchNow());
      moved = after(seen[0]);
      seen.push(batchClock.now());
      Promise.resolve().then(() => {
        seen.push(batchNow());
        return Promise.resolve();
      }).then(() => seen.push(batchNow()));
      (async () => {
        await null;
        await null;
        seen.push(batchNow());
      })();
    }, 3);
    outside = batchNow();
    done.resolve();
  }, 0);
  await done.promise;
  assertEquals(seen.length, 5, "the continuations ran inside the batch");
  assert(seen.every((reading) => reading === seen[0]), String(seen));
  assert(outside >= moved && moved > seen[0], "after the batch, the clock is read again");
});

Deno.test("a batch run from a microtask gives its continuations fresh readings (the queue cannot run there)", async () => {
  let inside = 0;
  let later = 0;
  let moved = 0;
  await Promise.resolve().then(() => {
    underOneReading(() => {
      inside = batchNow();
      moved = after(inside);
      queueMicrotask(() => later = batchNow());
    }, 1);
  });
  await null;
  assert(later >= moved && moved > inside, `${later} after ${inside}`);
});

Deno.test("inside a batch, node:process ticks and promise continuations run in the order they would after any callback", async () => {
  const order = (batch: boolean) =>
    new Promise<string[]>((resolve) => {
      const log: string[] = [];
      setTimeout(() => {
        const work = () => {
          process.nextTick(() => {
            log.push("tick");
            Promise.resolve().then(() => log.push("promise from tick"));
          });
          Promise.resolve().then(() => {
            log.push("promise");
            process.nextTick(() => log.push("tick from promise"));
          });
        };
        if (batch) underOneReading(work, 1);
        else work();
        log.push("callback ends");
        setTimeout(() => resolve(log), 0);
      }, 0);
    });
  const plain = await order(false);
  const batched = await order(true);
  assertEquals(plain, [
    "callback ends",
    "tick",
    "promise",
    "promise from tick",
    "tick from promise",
  ]);
  assertEquals(batched.filter((step) => step !== "callback ends"), plain.slice(1));
});

Deno.test({
  name:
    "a report the reactor polls is dispatched under one reading: a socket's callback sees batchNow stand still",
  ignore: "problem" in libcReactor(),
  fn: async () => {
    const listener = libcListen({ hostname: "127.0.0.1", port: 0 });
    assert(!("problem" in listener));
    const [conn, peer] = await Promise.all([
      libcConnect({ hostname: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port })!,
      listener.accept() as Promise<LibcConn>,
    ]);
    listener.close();
    try {
      const readings: [number, number][] = [];
      const told = Promise.withResolvers<void>();
      conn.onReadable(() => {
        const first = batchNow();
        after(first);
        readings.push([first, batchNow()]);
        while (conn.readNow(new Uint8Array(64)) !== undefined) { /* drained */ }
        // The first report may come through the off-thread wait (a microtask: no
        // batch of its own); bytes sent now are there when the reactor next polls.
        if (readings.length === 1) peer.writeNow(new Uint8Array([2]));
        else told.resolve();
      });
      assertEquals(peer.writeNow(new Uint8Array([1])), 1);
      await told.promise;
      const [first, second] = readings[1];
      assertEquals(second, first, JSON.stringify(readings));
    } finally {
      conn.onReadable(undefined);
      conn.close();
      peer.close();
    }
  },
});
