/**
 * The body of a `node:http2` client stream: a stream the backend reset
 * fails its body when it closes, whether or not its `end` came first.
 */
import { assertEquals } from "@std/assert";
import { EventEmitter } from "node:events";
import type http2 from "node:http2";
import { http2StreamBody } from "../../src/dataplane/http2_stream_body.ts";

/** A stand-in for a client stream: events the test emits, and the reset code the backend sent. */
class FakeStream extends EventEmitter {
  rstCode = 0;
  pause(): void {}
  resume(): void {}
}

function bodyOf(stream: FakeStream): ReadableStream<Uint8Array> {
  return http2StreamBody(stream as unknown as http2.Http2Stream, {
    onCancel: () => {},
    endFailure: () => stream.rstCode ? new Error(`reset (code ${stream.rstCode})`) : undefined,
  });
}

/** What a read comes to once every pending microtask has run: a value, done, an error, or still pending. */
async function settled(read: Promise<ReadableStreamReadResult<Uint8Array>>): Promise<string> {
  const pending = new Promise<string>((done) => setTimeout(() => done("pending"), 0));
  return await Promise.race([
    read.then(
      (r) => r.done ? "done" : new TextDecoder().decode(r.value),
      (e) => `error: ${e.message}`,
    ),
    pending,
  ]);
}

Deno.test("a stream reset and closed without its end fails its body (it does not wait for ever)", async () => {
  const stream = new FakeStream();
  const reader = bodyOf(stream).getReader();
  stream.emit("data", new TextEncoder().encode("part"));
  assertEquals(await settled(reader.read()), "part");
  stream.rstCode = 8;
  stream.emit("close");
  assertEquals(await settled(reader.read()), "error: reset (code 8)");
});

Deno.test("a complete stream that closes after its end ends its body; a reset one after its end fails it", async () => {
  const complete = new FakeStream();
  const reader = bodyOf(complete).getReader();
  complete.emit("data", new TextEncoder().encode("all"));
  complete.emit("end");
  complete.emit("close");
  assertEquals(await settled(reader.read()), "all");
  assertEquals(await settled(reader.read()), "done");

  const reset = new FakeStream();
  const resetReader = bodyOf(reset).getReader();
  reset.rstCode = 8;
  reset.emit("end");
  reset.emit("close");
  assertEquals(await settled(resetReader.read()), "error: reset (code 8)");
});

Deno.test("a stream closed without a reset code and without its end leaves the verdict to its end", async () => {
  const stream = new FakeStream();
  const reader = bodyOf(stream).getReader();
  stream.emit("close");
  assertEquals(await settled(reader.read()), "pending");
  stream.emit("end");
  assertEquals(await settled(reader.read()), "done");
});
