import { assertEquals } from "@std/assert";
import {
  type ClientTimeouts,
  createConnectionWatcher,
  type TimeoutReason,
} from "../../src/dataplane/client_timeouts.ts";

const TIMEOUTS: ClientTimeouts = { headerMs: 100, idleMs: 200, bodyMs: 0, streamMs: 0 };

/** A watcher on a hand-driven clock, with every drop recorded. */
function fixture(timeouts: ClientTimeouts = TIMEOUTS) {
  let now = 1_000;
  const dropped: string[] = [];
  const watcher = createConnectionWatcher({ timeouts, now: () => now, tickMs: 0 });
  const watch = (name: string) =>
    watcher.watch((reason: TimeoutReason) => dropped.push(`${name}:${reason}`));
  return {
    watcher,
    watch,
    dropped,
    advance(ms: number) {
      now += ms;
      watcher.sweep();
    },
  };
}

Deno.test("a connection that sends no complete head is dropped at the header timeout", () => {
  const f = fixture();
  f.watch("silent");
  f.advance(99);
  assertEquals(f.dropped, []);
  f.advance(1);
  assertEquals(f.dropped, ["silent:header"]);
  assertEquals(f.watcher.size(), 0);
});

Deno.test("a request in flight holds off every connection timeout", () => {
  const f = fixture();
  const conn = f.watch("busy");
  const mark = conn.requestStarted();
  f.advance(10_000);
  assertEquals(f.dropped, []);
  conn.requestFinished(mark);
  f.advance(199);
  assertEquals(f.dropped, []);
  f.advance(1);
  assertEquals(f.dropped, ["busy:idle"]);
});

Deno.test("the idle timeout restarts after each response; h2 streams overlap", () => {
  const f = fixture();
  const conn = f.watch("h2");
  const a = conn.requestStarted();
  const b = conn.requestStarted();
  conn.requestFinished(a);
  f.advance(500);
  assertEquals(f.dropped, [], "b is still in flight");
  conn.requestFinished(b);
  f.advance(150);
  const c = conn.requestStarted();
  conn.requestFinished(c);
  f.advance(150);
  assertEquals(f.dropped, [], "the idle wait restarted when c ended");
  f.advance(50);
  assertEquals(f.dropped, ["h2:idle"]);
});

Deno.test("the stream timeout drops a request that runs too long; off by default", () => {
  const f = fixture({ ...TIMEOUTS, streamMs: 1_000 });
  const conn = f.watch("slow");
  conn.requestStarted();
  f.advance(999);
  assertEquals(f.dropped, []);
  f.advance(1);
  assertEquals(f.dropped, ["slow:stream"]);

  const off = fixture();
  off.watch("long").requestStarted();
  off.advance(3_600_000);
  assertEquals(off.dropped, []);
});

Deno.test("a timeout of 0 is off", () => {
  const f = fixture({ headerMs: 0, idleMs: 0, bodyMs: 0, streamMs: 0 });
  const conn = f.watch("patient");
  f.advance(3_600_000);
  conn.requestFinished(conn.requestStarted());
  f.advance(3_600_000);
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

Deno.test("an ended connection is never dropped", () => {
  const f = fixture();
  f.watch("gone").end();
  f.advance(10_000);
  assertEquals(f.dropped, []);
  assertEquals(f.watcher.size(), 0);
});
