/**
 * The splice over scripted connections, as TLS Passthrough uses it: bytes in
 * both directions, half-close passed on, a slow writer holding back reads
 * (backpressure), resets, and the idle and lifetime timeouts on a manual
 * clock. Over real sockets: `byte_splice.test.ts`.
 */
import { assert, assertEquals } from "@std/assert";
import { splice } from "../../src/dataplane/byte_splice.ts";
import { FakeClock, flushTasks } from "../_helpers/fake_clock.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A scripted connection: the test feeds its reads and releases its writes. */
class ScriptedConn {
  readonly written: string[] = [];
  reads = 0;
  closed = false;
  writeClosed = false;
  /** When set, writes wait for `releaseWrites()`. */
  holdWrites = false;
  #pendingReads: {
    resolve: (n: number | null) => void;
    reject: (e: Error) => void;
    buf: Uint8Array;
  }[] = [];
  #queued: (Uint8Array | null | Error)[] = [];
  #heldWrites: (() => void)[] = [];

  /** Queues bytes (or end of stream, or an error) for the next read. */
  feed(chunk: string | null | Error): void {
    const item = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
    const waiting = this.#pendingReads.shift();
    if (waiting === undefined) this.#queued.push(item);
    else this.#deliver(waiting, item);
  }

  releaseWrites(): void {
    this.holdWrites = false;
    for (const release of this.#heldWrites.splice(0)) release();
  }

  read(buf: Uint8Array): Promise<number | null> {
    this.reads++;
    if (this.closed) return Promise.reject(new Deno.errors.BadResource("closed"));
    return new Promise((resolve, reject) => {
      const waiting = { resolve, reject, buf };
      const item = this.#queued.shift();
      if (item === undefined) this.#pendingReads.push(waiting);
      else this.#deliver(waiting, item);
    });
  }

  async write(bytes: Uint8Array): Promise<number> {
    if (this.closed || this.writeClosed) throw new Deno.errors.BrokenPipe("closed");
    if (this.holdWrites) await new Promise<void>((resolve) => this.#heldWrites.push(resolve));
    this.written.push(decoder.decode(bytes));
    return bytes.length;
  }

  closeWrite(): Promise<void> {
    this.writeClosed = true;
    return Promise.resolve();
  }

  close(): void {
    if (this.closed) throw new Deno.errors.BadResource("already closed");
    this.closed = true;
    for (const waiting of this.#pendingReads.splice(0)) {
      waiting.reject(new Deno.errors.BadResource("closed"));
    }
  }

  #deliver(
    waiting: { resolve: (n: number | null) => void; reject: (e: Error) => void; buf: Uint8Array },
    item: Uint8Array | null | Error,
  ): void {
    if (item instanceof Error) return waiting.reject(item);
    if (item === null) return waiting.resolve(null);
    waiting.buf.set(item);
    waiting.resolve(item.length);
  }
}

const asConn = (c: ScriptedConn) => c as unknown as Deno.Conn;
const NO_TIMEOUTS = { idleMs: 0, maxLifetimeMs: 0 };

Deno.test("splice copies both ways and passes each end of stream on as a half-close", async () => {
  const client = new ScriptedConn();
  const backend = new ScriptedConn();
  const done = splice(asConn(client), asConn(backend), NO_TIMEOUTS).done;
  client.feed("hello");
  client.feed(null);
  await flushTasks();
  assertEquals(backend.written, ["hello"]);
  assert(backend.writeClosed, "the backend sees the client's end of stream");
  assert(!client.writeClosed, "the other direction still flows");
  backend.feed("answer");
  backend.feed(null);
  const result = await done;
  assertEquals(client.written, ["answer"]);
  assertEquals(result, { bytesAtoB: 5, bytesBtoA: 6, end: "closed" });
  assert(client.closed && backend.closed);
});

Deno.test("splice reads no more from a side until the other side took the last chunk (backpressure)", async () => {
  const client = new ScriptedConn();
  const backend = new ScriptedConn();
  backend.holdWrites = true;
  const done = splice(asConn(client), asConn(backend), NO_TIMEOUTS).done;
  client.feed("one");
  client.feed("two");
  client.feed("three");
  await flushTasks();
  assertEquals(client.reads, 1, "one chunk read while its write is pending");
  assertEquals(backend.written, []);
  backend.releaseWrites();
  await flushTasks();
  assertEquals(backend.written, ["one", "two", "three"]);
  client.feed(null);
  backend.feed(null);
  assertEquals((await done).end, "closed");
});

Deno.test("a reset on one side closes both and ends the splice as an error", async () => {
  const client = new ScriptedConn();
  const backend = new ScriptedConn();
  const done = splice(asConn(client), asConn(backend), NO_TIMEOUTS).done;
  client.feed("partial");
  backend.feed(new Deno.errors.ConnectionReset("reset by peer"));
  const result = await done;
  assertEquals(result.end, "error");
  assert(client.closed && backend.closed);
});

Deno.test("the idle timeout closes a tunnel with no byte either way, and traffic defers it", async () => {
  const clock = new FakeClock();
  const client = new ScriptedConn();
  const backend = new ScriptedConn();
  const { done } = splice(asConn(client), asConn(backend), {
    idleMs: 1000,
    maxLifetimeMs: 0,
    clock,
  });
  await clock.advance(900);
  backend.feed("keepalive");
  await flushTasks();
  await clock.advance(900);
  assert(!client.closed, "traffic at 900 ms moved the deadline to 1900 ms");
  await clock.advance(100);
  const result = await done;
  assertEquals(result.end, "idle");
  assertEquals(result.bytesBtoA, 9);
  assert(client.closed && backend.closed);
});

Deno.test("the lifetime limit closes a busy tunnel", async () => {
  const clock = new FakeClock();
  const client = new ScriptedConn();
  const backend = new ScriptedConn();
  const { done } = splice(asConn(client), asConn(backend), {
    idleMs: 1000,
    maxLifetimeMs: 2500,
    clock,
  });
  for (let i = 0; i < 3; i++) {
    client.feed("tick");
    await flushTasks();
    await clock.advance(800);
  }
  assert(!backend.closed);
  await clock.advance(100);
  assertEquals((await done).end, "lifetime");
});
