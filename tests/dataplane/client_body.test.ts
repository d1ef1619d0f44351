import { assert, assertEquals, assertRejects } from "@std/assert";
import { ClientBodyTimeoutError, watchClientBody } from "../../src/dataplane/client_body.ts";
import type { DeadlineTimer } from "../../src/dataplane/deadline_timer.ts";

/** A deadline timer the test fires by hand. */
function manualDeadlines() {
  const armed: { ms: number; fire: () => void; cancelled: boolean }[] = [];
  const timer: DeadlineTimer = {
    arm(ms, fire) {
      const entry = {
        ms,
        fire: typeof fire === "function" ? fire : () => fire.expire(),
        cancelled: false,
      };
      armed.push(entry);
      return { cancel: () => entry.cancelled = true };
    },
    pending: () => armed.filter((e) => !e.cancelled).length,
    close() {},
  };
  return { timer, armed };
}

/** A byte stream (as Deno's streamed request bodies are) fed by the test. */
function byteStream() {
  let controller!: ReadableByteStreamController;
  const stream = new ReadableStream({
    type: "bytes",
    start(c: ReadableByteStreamController) {
      controller = c;
    },
  }) as ReadableStream<Uint8Array>;
  return {
    stream,
    push: (bytes: Uint8Array) => controller.enqueue(bytes),
    end: () => controller.close(),
  };
}

Deno.test("a byte-stream body arrives whole through small reads, growing for bulk", async () => {
  const { timer, armed } = manualDeadlines();
  const source = byteStream();
  const watched = watchClientBody(source.stream, 30_000, timer);
  const sent = new Uint8Array(200_000).map((_, i) => i % 251);
  source.push(sent.slice(0, 10));
  source.push(sent.slice(10, 150_000));
  source.push(sent.slice(150_000));
  source.end();
  const chunks: Uint8Array[] = [];
  for await (const chunk of watched.body) chunks.push(chunk);
  const received = new Uint8Array(sent.length);
  let at = 0;
  for (const chunk of chunks) {
    received.set(chunk, at);
    at += chunk.length;
  }
  assertEquals(at, sent.length);
  assertEquals(received, sent);
  assert(chunks[0].byteLength <= 4096, "a trickle is read into a small buffer");
  assert(chunks.some((c) => c.byteLength === 65536), "bulk reads grow to 64 KiB");
  assertEquals(watched.timedOut(), false);
  assert(armed.every((e) => e.cancelled), "every read's deadline was cancelled");
});

Deno.test("a body that stalls past the deadline errors with ClientBodyTimeoutError", async () => {
  const { timer, armed } = manualDeadlines();
  const source = byteStream();
  const watched = watchClientBody(source.stream, 30_000, timer);
  source.push(new Uint8Array([1]));
  const reader = watched.body.getReader();
  assertEquals((await reader.read()).value?.length, 1);
  const stalled = reader.read();
  // The second read waits on the client; its deadline passes.
  while (armed.length < 2) await Promise.resolve();
  assertEquals(armed[1].ms, 30_000);
  armed[1].fire();
  await assertRejects(() => stalled, ClientBodyTimeoutError);
  assertEquals(watched.timedOut(), true);
});

Deno.test("a body that is not a byte stream is read as it is", async () => {
  const { timer } = manualDeadlines();
  const watched = watchClientBody(new Blob(["hello"]).stream(), 30_000, timer);
  assertEquals(await new Response(watched.body).text(), "hello");
});
