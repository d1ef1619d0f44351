import { assert, assertEquals } from "@std/assert";
import { AllocatorTrim, mallocTrim } from "../../src/runtime/allocator_trim.ts";
import { LIBC_PATHS } from "../../src/dataplane/libc.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

function trimmer(clock: FakeClock) {
  const at: number[] = [];
  const trim = new AllocatorTrim({
    trim: () => at.push(clock.now()),
    delayMs: 100,
    intervalMs: 1_000,
    clock,
  });
  return { at, trim };
}

Deno.test("a rebuild is followed by one trim after the delay", async () => {
  const clock = new FakeClock(0);
  const { at, trim } = trimmer(clock);
  trim.arm();
  await clock.advance(99);
  assertEquals(at, []);
  await clock.advance(1);
  assertEquals(at, [100]);
  await clock.advance(5_000);
  assertEquals(at, [100]);
  assertEquals(trim.trims(), 1);
});

Deno.test("a burst of rebuilds within the delay is one trim, not pushed back by them", async () => {
  const clock = new FakeClock(0);
  const { at, trim } = trimmer(clock);
  for (let i = 0; i < 10; i++) {
    trim.arm();
    await clock.advance(9);
  }
  await clock.advance(10);
  assertEquals(at, [100]);
  await clock.advance(5_000);
  assertEquals(at, [100]);
});

Deno.test("under steady rebuilds trims come once an interval", async () => {
  const clock = new FakeClock(0);
  const { at, trim } = trimmer(clock);
  for (let i = 0; i < 300; i++) {
    trim.arm();
    await clock.advance(10);
  }
  assertEquals(at, [100, 1_100, 2_100]);
});

Deno.test("a rebuild long after the last trim waits only the delay", async () => {
  const clock = new FakeClock(0);
  const { at, trim } = trimmer(clock);
  trim.arm();
  await clock.advance(3_000);
  trim.arm();
  await clock.advance(100);
  assertEquals(at, [100, 3_100]);
});

Deno.test("no trim runs after stop, not even one already armed", async () => {
  const clock = new FakeClock(0);
  const { at, trim } = trimmer(clock);
  trim.arm();
  trim.stop();
  trim.arm();
  await clock.advance(5_000);
  assertEquals(at, []);
  assertEquals(clock.pending(), 0);
});

Deno.test("onTrim hears how long each trim took", async () => {
  const clock = new FakeClock(0);
  const heard: number[] = [];
  const trim = new AllocatorTrim({ trim: () => {}, clock, onTrim: (ms) => heard.push(ms) });
  trim.arm();
  await clock.advance(1_000);
  assertEquals(heard, [0]);
});

Deno.test({
  name: "malloc_trim through libc hands back the pages of blocks freed in the middle of the heap",
  ignore: Deno.build.os !== "linux",
  fn() {
    const found = mallocTrim();
    assert("trim" in found, "problem" in found ? found.problem : "");
    const path = LIBC_PATHS.find((p) => {
      try {
        return Deno.statSync(p).isFile;
      } catch {
        return false;
      }
    })!;
    const libc = Deno.dlopen(path, {
      malloc: { parameters: ["usize"], result: "pointer" },
      free: { parameters: ["pointer"], result: "void" },
      memset: { parameters: ["pointer", "i32", "usize"], result: "pointer" },
    }).symbols;
    // 2,000 blocks of 64 KiB written to, every other one freed: free chunks
    // that cannot merge and are not at the top, so no free() gives them back.
    const blocks: Deno.PointerValue[] = [];
    for (let i = 0; i < 2_000; i++) {
      const block = libc.malloc(64n * 1024n);
      libc.memset(block, 1, 64n * 1024n);
      blocks.push(block);
    }
    for (let i = 0; i < blocks.length; i += 2) libc.free(blocks[i]);
    const before = Deno.memoryUsage().rss;
    found.trim();
    const after = Deno.memoryUsage().rss;
    for (let i = 1; i < blocks.length; i += 2) libc.free(blocks[i]);
    // 1,000 free blocks of 64 KiB: ~60 MiB of their pages.
    assert(before - after > 32 * 1024 * 1024, `RSS ${before} -> ${after}`);
  },
});

Deno.test({
  name: "without --allow-ffi no trim is had, the reason says so and nothing prompts",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const module = new URL("../../src/runtime/allocator_trim.ts", import.meta.url).href;
    const script = await Deno.makeTempFile({ suffix: ".ts" });
    await Deno.writeTextFile(
      script,
      `const { mallocTrim } = await import(${JSON.stringify(module)}); ` +
        `console.log(JSON.stringify(mallocTrim()));`,
    );
    // Permissions the gateway has, but no --allow-ffi; stdin closed, so a prompt would fail.
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-env", "--allow-sys", script],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output().finally(() => Deno.remove(script));
    const text = new TextDecoder().decode(output.stdout);
    assert(output.success, new TextDecoder().decode(output.stderr));
    const found = JSON.parse(text) as { problem?: string };
    assert(found.problem?.includes("no --allow-ffi"), text);
  },
});
