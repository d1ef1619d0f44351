import { assertEquals } from "@std/assert";
import { BATCH_BYTES, BATCH_DELAY_MS, BatchedSink } from "../../src/log/stderr_sink.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

Deno.test("info lines wait for the batch delay and go out in one write", async () => {
  const clock = new FakeClock();
  const writes: string[] = [];
  const sink = new BatchedSink((text) => writes.push(text), (f, ms) => clock.setTimeout(f, ms));
  sink.write("a", false);
  sink.write("b", false);
  assertEquals(writes, []);
  await clock.advance(BATCH_DELAY_MS);
  assertEquals(writes, ["a\nb\n"]);
  assertEquals(clock.pending(), 0);
});

Deno.test("an urgent line writes what waits, then itself, at once and in order", () => {
  const clock = new FakeClock();
  const writes: string[] = [];
  const sink = new BatchedSink((text) => writes.push(text), (f, ms) => clock.setTimeout(f, ms));
  sink.write("info", false);
  sink.write("error", true);
  assertEquals(writes, ["info\nerror\n"]);
  assertEquals(clock.pending(), 0);
});

Deno.test("a full batch goes out without waiting", () => {
  const clock = new FakeClock();
  const writes: string[] = [];
  const sink = new BatchedSink((text) => writes.push(text), (f, ms) => clock.setTimeout(f, ms));
  const line = "x".repeat(1023);
  for (let i = 0; i < BATCH_BYTES / 1024; i++) sink.write(line, false);
  assertEquals(writes.length, 1);
  assertEquals(writes[0].length, BATCH_BYTES);
});
