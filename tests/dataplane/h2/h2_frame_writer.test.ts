/**
 * The frame writer: frames back to back in one buffer, read back by the
 * frame reader exactly as written, header blocks cut into CONTINUATIONs at
 * the peer's frame size, and what `take` hands over staying the caller's
 * while the writer goes on.
 */
import { assertEquals } from "@std/assert";
import { FrameWriter } from "../../../src/dataplane/h2/h2_frame_writer.ts";
import {
  Flag,
  type Frame,
  FrameReader,
  FrameType,
  readUint32,
  rstStreamFrame,
} from "../../../src/dataplane/h2/h2_frames.ts";

function read(bytes: Uint8Array): Frame[] {
  const reader = new FrameReader(1 << 24);
  reader.push(bytes);
  const frames: Frame[] = [];
  for (let f = reader.next(); f !== undefined && "type" in f; f = reader.next()) frames.push(f);
  assertEquals(reader.buffered, 0, "nothing but whole frames");
  return frames;
}

const fill = (n: number, byte: number) => new Uint8Array(n).fill(byte);

Deno.test("frames written one after another are taken as one array and read back as written", () => {
  const out = new FrameWriter();
  out.frame(FrameType.DATA, 0, 1, fill(3, 1));
  out.uint32Frame(FrameType.RST_STREAM, 0, 3, 8);
  out.bytes(rstStreamFrame(5, 2));
  out.frame(FrameType.DATA, Flag.END_STREAM, 2 ** 31 - 1, new Uint8Array(0));
  const frames = read(out.take());
  assertEquals(out.length, 0);
  assertEquals(
    frames.map((f) => [f.type, f.flags, f.streamId, f.payload.length]),
    [[0, 0, 1, 3], [3, 0, 3, 4], [3, 0, 5, 4], [0, 1, 2 ** 31 - 1, 0]],
  );
  assertEquals(frames[0].payload, fill(3, 1));
  assertEquals([readUint32(frames[1].payload, 0), readUint32(frames[2].payload, 0)], [8, 2]);
});

Deno.test("a header block larger than the frame size is HEADERS then CONTINUATIONs, END_HEADERS on the last", () => {
  const out = new FrameWriter();
  const block = Uint8Array.from({ length: 40_000 }, (_, i) => i & 0xff);
  out.headers(7, block, true, 16_384);
  const frames = read(out.take());
  assertEquals(
    frames.map((f) => [f.type, f.flags, f.streamId, f.payload.length]),
    [
      [FrameType.HEADERS, Flag.END_STREAM, 7, 16_384],
      [FrameType.CONTINUATION, 0, 7, 16_384],
      [FrameType.CONTINUATION, Flag.END_HEADERS, 7, 7_232],
    ],
  );
  const joined = new Uint8Array(40_000);
  let at = 0;
  for (const f of frames) {
    joined.set(f.payload, at);
    at += f.payload.length;
  }
  assertEquals(joined, block);
  out.headers(9, block.subarray(0, 10), false, 16_384);
  const [one] = read(out.take());
  assertEquals([one.type, one.flags, one.streamId], [FrameType.HEADERS, Flag.END_HEADERS, 9]);
});

Deno.test("a header block given as the first bytes of a larger buffer is framed from those bytes only", () => {
  const out = new FrameWriter();
  const buffer = Uint8Array.from({ length: 40_000 }, (_, i) => i & 0xff);
  out.headers(3, buffer, true, 16_384, 100);
  out.headers(5, buffer, false, 16_384, 20_000);
  const frames = read(out.take());
  assertEquals(
    frames.map((f) => [f.type, f.flags, f.streamId, f.payload.length]),
    [
      [FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 3, 100],
      [FrameType.HEADERS, 0, 5, 16_384],
      [FrameType.CONTINUATION, Flag.END_HEADERS, 5, 3_616],
    ],
  );
  assertEquals(frames[0].payload, buffer.subarray(0, 100));
  assertEquals(frames[2].payload, buffer.subarray(16_384, 20_000));
});

Deno.test("what take hands over, small or large, is not changed by later writes", () => {
  const out = new FrameWriter();
  for (const size of [10, 20_000, 10, 100_000, 5]) {
    out.frame(FrameType.DATA, 0, 1, fill(size, 0xaa));
    const taken = out.take();
    out.frame(FrameType.DATA, 0, 3, fill(size + 7, 0x55));
    const again = out.take();
    assertEquals(read(taken)[0].payload, fill(size, 0xaa));
    assertEquals(read(again)[0].payload, fill(size + 7, 0x55));
  }
});

Deno.test("with a sink, a turn's frames reach it as one array when the turn ends, or at once on flush", async () => {
  const handed: Uint8Array[] = [];
  const out = new FrameWriter((bytes) => handed.push(bytes));
  out.frame(FrameType.DATA, 0, 1, fill(5, 1));
  out.uint32Frame(FrameType.WINDOW_UPDATE, 0, 0, 100);
  assertEquals(handed.length, 0, "not before the turn ends");
  await Promise.resolve();
  assertEquals(handed.length, 1);
  assertEquals(read(handed[0]).map((f) => f.type), [FrameType.DATA, FrameType.WINDOW_UPDATE]);
  out.frame(FrameType.DATA, Flag.END_STREAM, 1, fill(2, 2));
  out.flush();
  assertEquals(handed.length, 2, "flush hands over at once");
  await Promise.resolve();
  out.flush();
  assertEquals(handed.length, 2, "nothing more to hand over");
});
