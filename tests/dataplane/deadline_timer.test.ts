import { assertEquals } from "@std/assert";
import { createDeadlineTimer } from "../../src/dataplane/deadline_timer.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

Deno.test("a deadline fires once, no earlier than its length and at most 1/20 later", async () => {
  const clock = new FakeClock(0);
  const timer = createDeadlineTimer(clock);
  try {
    const fired: number[] = [];
    timer.arm(40, () => fired.push(clock.now()));
    await clock.advance(39);
    assertEquals(fired, []);
    await clock.advance(40 / 20);
    assertEquals(fired, [40]);
    await clock.advance(1_000);
    assertEquals(fired, [40]);
    assertEquals(timer.pending(), 0);
    assertEquals(clock.pending(), 0, "the interval stops when its queue is empty");
  } finally {
    timer.close();
  }
});

Deno.test("an object's deadline calls its expire, with the object as this, once", async () => {
  const clock = new FakeClock(0);
  const timer = createDeadlineTimer(clock);
  try {
    const call = {
      expired: 0,
      expire(): void {
        this.expired++;
      },
    };
    timer.arm(40, call);
    await clock.advance(39);
    assertEquals(call.expired, 0);
    await clock.advance(1_000);
    assertEquals(call.expired, 1);
    assertEquals(timer.pending(), 0);
  } finally {
    timer.close();
  }
});

Deno.test("a cancelled deadline never fires; cancel twice is harmless", async () => {
  const clock = new FakeClock(0);
  const timer = createDeadlineTimer(clock);
  try {
    let fired = 0;
    const d = timer.arm(20, () => fired++);
    assertEquals(timer.pending(), 1);
    d.cancel();
    d.cancel();
    assertEquals(timer.pending(), 0);
    await clock.advance(1_000);
    assertEquals(fired, 0);
  } finally {
    timer.close();
  }
});

Deno.test("deadlines of different lengths fire in their own time", async () => {
  const clock = new FakeClock(0);
  const timer = createDeadlineTimer(clock);
  try {
    const order: string[] = [];
    timer.arm(120, () => order.push("long"));
    timer.arm(20, () => order.push("short"));
    await clock.advance(70);
    assertEquals(order, ["short"]);
    await clock.advance(60);
    assertEquals(order, ["short", "long"]);
  } finally {
    timer.close();
  }
});

Deno.test("thousands of cancelled deadlines behind a pending one leave it pending until it is due", async () => {
  const clock = new FakeClock(0);
  const timer = createDeadlineTimer(clock);
  try {
    let slowFired = 0;
    timer.arm(1000, () => slowFired++);
    for (let i = 0; i < 5000; i++) timer.arm(1000, () => {}).cancel();
    assertEquals(timer.pending(), 1);
    await clock.advance(500);
    assertEquals(slowFired, 0);
    assertEquals(timer.pending(), 1);
    await clock.advance(500);
    assertEquals(slowFired, 1);
    assertEquals(timer.pending(), 0);
  } finally {
    timer.close();
  }
});

Deno.test("a throwing callback does not stop the other due deadlines", async () => {
  const clock = new FakeClock(0);
  const timer = createDeadlineTimer(clock);
  try {
    let fired = 0;
    timer.arm(20, () => {
      throw new Error("boom");
    });
    timer.arm(20, () => fired++);
    await clock.advance(21);
    assertEquals(fired, 1);
  } finally {
    timer.close();
  }
});

Deno.test("close drops pending deadlines without firing them", async () => {
  const clock = new FakeClock(0);
  const timer = createDeadlineTimer(clock);
  let fired = 0;
  timer.arm(20, () => fired++);
  timer.close();
  await clock.advance(1_000);
  assertEquals(fired, 0);
  assertEquals(clock.pending(), 0);
});

Deno.test("the system clock's interval does not keep the process alive and is cleared on close", () => {
  const timer = createDeadlineTimer();
  timer.arm(60_000, () => {});
  assertEquals(timer.pending(), 1);
  // The sanitizer fails this test if close() left the interval running.
  timer.close();
});

Deno.test("deadlines cancelled in the order they were armed, then new ones: the new ones fire when due", async () => {
  const clock = new FakeClock(0);
  const timer = createDeadlineTimer(clock);
  try {
    const fired: string[] = [];
    const first = [0, 1, 2].map((i) => timer.arm(40, () => fired.push(`first ${i}`)));
    for (const d of first) d.cancel();
    await clock.advance(10);
    timer.arm(40, () => fired.push("second"));
    const third = timer.arm(40, () => fired.push("third"));
    timer.arm(40, () => fired.push("fourth"));
    third.cancel();
    assertEquals(timer.pending(), 2);
    await clock.advance(39);
    assertEquals(fired, []);
    await clock.advance(40 / 20);
    assertEquals(fired, ["second", "fourth"]);
  } finally {
    timer.close();
  }
});

Deno.test("a callback that cancels the next due deadline while the due ones fire: that one never fires, the rest do", async () => {
  const clock = new FakeClock(0);
  const timer = createDeadlineTimer(clock);
  try {
    const fired: string[] = [];
    const next: { second?: { cancel(): void } } = {};
    timer.arm(20, () => {
      fired.push("first");
      next.second?.cancel();
    });
    next.second = timer.arm(20, () => fired.push("second"));
    timer.arm(20, () => fired.push("third"));
    await clock.advance(21);
    assertEquals(fired, ["first", "third"]);
    timer.arm(20, () => fired.push("later"));
    await clock.advance(21);
    assertEquals(fired, ["first", "third", "later"]);
    assertEquals(timer.pending(), 0);
  } finally {
    timer.close();
  }
});

Deno.test("a deadline armed by a firing callback, the queue otherwise cancelled, fires when due", async () => {
  const clock = new FakeClock(0);
  const timer = createDeadlineTimer(clock);
  try {
    const fired: string[] = [];
    const first = timer.arm(20, () => fired.push("first"));
    timer.arm(20, () => {
      fired.push("second");
      timer.arm(20, () => fired.push("armed by second"));
    });
    first.cancel();
    await clock.advance(21);
    assertEquals(fired, ["second"]);
    await clock.advance(21);
    assertEquals(fired, ["second", "armed by second"]);
  } finally {
    timer.close();
  }
});

Deno.test("a deadline armed with the caller's reading of the clock counts from that reading", async () => {
  const clock = new FakeClock(0);
  const timer = createDeadlineTimer(clock);
  try {
    await clock.advance(30);
    const fired: string[] = [];
    timer.arm(40, () => fired.push("from 10"), 10);
    timer.arm(40, () => fired.push("from now"));
    await clock.advance(20);
    assertEquals(fired, ["from 10"]);
    await clock.advance(22);
    assertEquals(fired, ["from 10", "from now"]);
  } finally {
    timer.close();
  }
});
