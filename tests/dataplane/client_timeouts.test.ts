import { assertEquals } from "@std/assert";
import {
  type ClientTimeouts,
  createConnectionWatcher,
  type TimeoutReason,
} from "../../src/dataplane/client_timeouts.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

const TIMEOUTS: ClientTimeouts = { headerMs: 100, idleMs: 200, bodyMs: 0, streamMs: 0 };

/** A watcher on a hand-driven clock, with every drop recorded. */
function fixture(timeouts: ClientTimeouts = TIMEOUTS) {
  const clock = new FakeClock();
  const dropped: string[] = [];
  const watcher = createConnectionWatcher({ timeouts, clock, tickMs: 0 });
  const watch = (name: string) =>
    watcher.watch((reason: TimeoutReason) => dropped.push(`${name}:${reason}`));
  return {
    watcher,
    watch,
    dropped,
    /** Moves the clock and sweeps exactly at the new time. */
    async advance(ms: number) {
      await clock.advance(ms);
      watcher.sweep();
    },
  };
}

Deno.test("a connection that sends no complete head is dropped at the header timeout", async () => {
  const f = fixture();
  f.watch("silent");
  await f.advance(99);
  assertEquals(f.dropped, []);
  await f.advance(1);
  assertEquals(f.dropped, ["silent:header"]);
  assertEquals(f.watcher.size(), 0);
});

Deno.test("a request in flight holds off every connection timeout", async () => {
  const f = fixture();
  const conn = f.watch("busy");
  const mark = conn.requestStarted();
  await f.advance(10_000);
  assertEquals(f.dropped, []);
  conn.requestFinished(mark);
  await f.advance(199);
  assertEquals(f.dropped, []);
  await f.advance(1);
  assertEquals(f.dropped, ["busy:idle"]);
});

Deno.test("the idle timeout restarts after each response; h2 streams overlap", async () => {
  const f = fixture();
  const conn = f.watch("h2");
  const a = conn.requestStarted();
  const b = conn.requestStarted();
  conn.requestFinished(a);
  await f.advance(500);
  assertEquals(f.dropped, [], "b is still in flight");
  conn.requestFinished(b);
  await f.advance(150);
  const c = conn.requestStarted();
  conn.requestFinished(c);
  await f.advance(150);
  assertEquals(f.dropped, [], "the idle wait restarted when c ended");
  await f.advance(50);
  assertEquals(f.dropped, ["h2:idle"]);
});

Deno.test("the stream timeout drops a request that runs too long; off by default", async () => {
  const f = fixture({ ...TIMEOUTS, streamMs: 1_000 });
  const conn = f.watch("slow");
  conn.requestStarted();
  await f.advance(999);
  assertEquals(f.dropped, []);
  await f.advance(1);
  assertEquals(f.dropped, ["slow:stream"]);

  const off = fixture();
  off.watch("long").requestStarted();
  await off.advance(3_600_000);
  assertEquals(off.dropped, []);
});

Deno.test("a timeout of 0 is off", async () => {
  const f = fixture({ headerMs: 0, idleMs: 0, bodyMs: 0, streamMs: 0 });
  const conn = f.watch("patient");
  await f.advance(3_600_000);
  conn.requestFinished(conn.requestStarted());
  await f.advance(3_600_000);
  assertEquals(f.dropped, []);
});

Deno.test("shed drops connections without a request in flight, oldest first", () => {
  const f = fixture();
  f.watch("oldest");
  f.watch("busy").requestStarted();
  f.watch("middle");
  f.watch("newest");
  assertEquals(f.watcher.shed(2), 2);
  assertEquals(f.dropped, ["oldest:shed", "middle:shed"]);
  assertEquals(f.watcher.shed(5), 1);
  assertEquals(f.dropped.at(-1), "newest:shed");
  assertEquals(f.watcher.size(), 1);
});

Deno.test("an ended connection is never dropped", async () => {
  const f = fixture();
  f.watch("gone").end();
  await f.advance(10_000);
  assertEquals(f.dropped, []);
  assertEquals(f.watcher.size(), 0);
});

Deno.test("the watcher sweeps by itself on its clock, and only while it watches", async () => {
  const clock = new FakeClock();
  const dropped: TimeoutReason[] = [];
  const watcher = createConnectionWatcher({ timeouts: TIMEOUTS, clock });
  assertEquals(clock.pending(), 0);
  watcher.watch((reason) => dropped.push(reason));
  assertEquals(clock.pending(), 1, "one interval for every connection");
  await clock.advance(TIMEOUTS.headerMs - 1);
  assertEquals(dropped, []);
  // A quarter of the shortest timeout: dropped at most one tick late.
  await clock.advance(TIMEOUTS.headerMs / 4);
  assertEquals(dropped, ["header"]);
  assertEquals(clock.pending(), 0, "the interval stops with the last connection");
});

Deno.test("closeSoon drops the connection a linger after its request ended, whatever the idle timeout", async () => {
  const f = fixture({ ...TIMEOUTS, idleMs: 3_600_000 });
  const conn = f.watch("stalled-body");
  const mark = conn.requestStarted();
  conn.closeSoon(1_000);
  await f.advance(5_000);
  assertEquals(f.dropped, [], "the answer is still in flight");
  conn.requestFinished(mark);
  await f.advance(999);
  assertEquals(f.dropped, []);
  await f.advance(1);
  assertEquals(f.dropped, ["stalled-body:idle"]);
});
