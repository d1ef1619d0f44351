import { assert, assertEquals } from "@std/assert";
import { createDeadlineTimer } from "../../src/dataplane/deadline_timer.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("a deadline fires once, no earlier than its length and at most 1/20 later plus a tick", async () => {
  const timer = createDeadlineTimer();
  try {
    const armed = performance.now();
    let firedAt = 0;
    let fired = 0;
    timer.arm(40, () => {
      fired++;
      firedAt = performance.now();
    });
    await sleep(150);
    assertEquals(fired, 1);
    assert(firedAt - armed >= 40, `fired after ${firedAt - armed} ms`);
    assertEquals(timer.pending(), 0);
  } finally {
    timer.close();
  }
});

Deno.test("a cancelled deadline never fires; cancel twice is harmless", async () => {
  const timer = createDeadlineTimer();
  try {
    let fired = 0;
    const d = timer.arm(20, () => fired++);
    assertEquals(timer.pending(), 1);
    d.cancel();
    d.cancel();
    assertEquals(timer.pending(), 0);
    await sleep(80);
    assertEquals(fired, 0);
  } finally {
    timer.close();
  }
});

Deno.test("deadlines of different lengths fire in their own time", async () => {
  const timer = createDeadlineTimer();
  try {
    const order: string[] = [];
    timer.arm(120, () => order.push("long"));
    timer.arm(20, () => order.push("short"));
    await sleep(70);
    assertEquals(order, ["short"]);
    await sleep(150);
    assertEquals(order, ["short", "long"]);
  } finally {
    timer.close();
  }
});

Deno.test("thousands of cancelled deadlines behind a pending one leave it pending until it is due", () => {
  let now = 0;
  const intervals: (() => void)[] = [];
  const timer = createDeadlineTimer(() => now);
  // Drive the queue by hand: capture the expiry function the timer schedules.
  const realSetInterval = globalThis.setInterval;
  globalThis.setInterval = ((fn: () => void) => {
    intervals.push(fn);
    return realSetInterval(() => {}, 1_000_000);
  }) as typeof setInterval;
  try {
    let slowFired = 0;
    timer.arm(1000, () => slowFired++);
    for (let i = 0; i < 5000; i++) timer.arm(1000, () => {}).cancel();
    assertEquals(timer.pending(), 1);
    now = 500;
    intervals[0]();
    assertEquals(slowFired, 0);
    assertEquals(timer.pending(), 1);
    now = 1000;
    intervals[0]();
    assertEquals(slowFired, 1);
    assertEquals(timer.pending(), 0);
  } finally {
    globalThis.setInterval = realSetInterval;
    timer.close();
  }
});

Deno.test("a throwing callback does not stop the other due deadlines", async () => {
  const timer = createDeadlineTimer();
  try {
    let fired = 0;
    timer.arm(20, () => {
      throw new Error("boom");
    });
    timer.arm(20, () => fired++);
    await sleep(80);
    assertEquals(fired, 1);
  } finally {
    timer.close();
  }
});

Deno.test("close drops pending deadlines without firing them", async () => {
  const timer = createDeadlineTimer();
  let fired = 0;
  timer.arm(20, () => fired++);
  timer.close();
  await sleep(60);
  assertEquals(fired, 0);
});
