import { assert, assertEquals } from "@std/assert";
import {
  RSS_RETRY_FIRST,
  RSS_RETRY_MAX,
  startIdleCollector,
  v8Collect,
} from "../../src/dataplane/idle_collector.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

const MiB = 1024 * 1024;

/** A collector over a heap and an RSS the test sets; a collection drops the heap to `live`. */
function setup() {
  const clock = new FakeClock();
  const heap = { used: 20 * MiB, live: 20 * MiB, rss: 100 * MiB };
  const seen: [number, number][] = [];
  const collector = startIdleCollector({
    clock,
    intervalMs: 10_000,
    heapUsed: () => heap.used,
    rss: () => heap.rss,
    collect: () => heap.used = heap.live,
    onCollect: (before, after) => seen.push([before / MiB, after / MiB]),
  });
  return { clock, heap, seen, collector };
}

Deno.test("an idle heap far above the last collection is collected once", async () => {
  const { clock, heap, seen, collector } = setup();
  heap.used = 70 * MiB; // a load came and went, leaving garbage
  await clock.advance(10_000); // the heap moved since the last sample: not idle yet
  assertEquals(collector.collections(), 0);
  await clock.advance(10_000); // unchanged: idle
  assertEquals(seen, [[70, 20]]);
  await clock.advance(30_000);
  assertEquals(collector.collections(), 1, "nothing more to collect");
  collector.stop();
});

Deno.test("RSS far above its lowest (a load's buffers, outside the heap) is collected when the isolate goes quiet, not again within a minute", async () => {
  const { clock, heap, seen, collector } = setup();
  // Stalled uploads arrive: a little heap, much RSS (their buffers are not V8's heap).
  heap.used = 21 * MiB;
  heap.rss = 190 * MiB;
  await clock.advance(10_000); // the heap moved: busy
  assertEquals(collector.collections(), 0);
  await clock.advance(10_000); // quiet, 90 MiB up: collected (while still held)
  assertEquals(seen, [[21, 20]]);
  await clock.advance(30_000);
  assertEquals(collector.collections(), 1, "RSS that stays up is not collected again while quiet");
  // The clients leave: closing them is work, and what they held goes back to the allocator.
  heap.used = 22 * MiB;
  heap.rss = 180 * MiB;
  await clock.advance(10_000);
  await clock.advance(10_000);
  assertEquals(collector.collections(), 2, "quiet again after that work, still 80 MiB up");
  heap.rss = 100 * MiB; // a trim gave it back
  await clock.advance(10_000);
  heap.used = 23 * MiB; // more work, RSS under 32 MiB above the lowest
  heap.rss = 120 * MiB;
  await clock.advance(30_000);
  assertEquals(collector.collections(), 2);
  collector.stop();
});

Deno.test("clients that leave without moving the heap: their RSS is collected at the retry, a minute after the last collection", async () => {
  const { clock, heap, collector } = setup();
  heap.used = 21 * MiB;
  heap.rss = 190 * MiB;
  await clock.advance(10_000); // stalled uploads arrive: busy
  await clock.advance(10_000); // quiet: collected while still held
  assertEquals(collector.collections(), 1);
  // The clients leave and nothing allocates: the heap does not move, and
  // their buffers are garbage that only a collection frees.
  for (let i = 1; i < RSS_RETRY_FIRST; i++) await clock.advance(10_000);
  assertEquals(collector.collections(), 1, "no retry before a minute");
  await clock.advance(10_000);
  assertEquals(collector.collections(), 2, "the retry");
  heap.rss = 100 * MiB; // the collection and its trim gave it back
  await clock.advance(30 * 60_000);
  assertEquals(collector.collections(), 2, "RSS down: nothing more");
  collector.stop();
});

Deno.test("RSS that stays up while quiet (live connections) is retried less and less often, at most every 16 minutes", async () => {
  const { clock, heap, collector } = setup();
  heap.used = 21 * MiB;
  heap.rss = 190 * MiB;
  await clock.advance(10_000);
  const at: number[] = [];
  for (let sample = 2; sample <= 400; sample++) {
    const before = collector.collections();
    await clock.advance(10_000);
    if (collector.collections() > before) at.push(sample);
  }
  const gaps = at.slice(1).map((s, i) => s - at[i]);
  assertEquals(at[0], 2);
  assertEquals(gaps.slice(0, 5), [6, 12, 24, 48, 96]);
  assert(gaps.every((g) => g <= RSS_RETRY_MAX), `gaps ${gaps}`);
  collector.stop();
});

Deno.test("a heap that keeps moving (under load) is left to V8", async () => {
  const { clock, heap, collector } = setup();
  for (let i = 0; i < 10; i++) {
    heap.used = (60 + (i % 2) * 10) * MiB;
    await clock.advance(10_000);
  }
  assertEquals(collector.collections(), 0);
  collector.stop();
});

Deno.test("growth below the threshold is not collected, however idle", async () => {
  const { clock, heap, collector } = setup();
  heap.used = 40 * MiB;
  await clock.advance(100_000);
  assertEquals(collector.collections(), 0);
  collector.stop();
});

Deno.test("a heap that stays large after a collection (live data) is not collected again", async () => {
  const { clock, heap, collector } = setup();
  heap.live = 90 * MiB;
  heap.used = 130 * MiB;
  await clock.advance(20_000);
  assertEquals(collector.collections(), 1);
  await clock.advance(100_000);
  assertEquals(collector.collections(), 1);
  collector.stop();
});

Deno.test("V8's gc can be had without flags or permissions", () => {
  const gc = v8Collect();
  assert(gc !== undefined, "gc is exposed");
  gc();
});
