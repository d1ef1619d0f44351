/**
 * Waiting out a `node:stream` writer's backpressure (`node_stream_drain.ts`):
 * the wait ends at `drain` or at `close`, and leaves no listener behind.
 */
import { assertEquals } from "@std/assert";
import { EventEmitter } from "node:events";
import { drainOrClose } from "../../src/dataplane/node_stream_drain.ts";

for (const event of ["drain", "close"] as const) {
  Deno.test(`the wait ends at ${event} and takes its listeners off`, async () => {
    const stream = new EventEmitter();
    const waiting = drainOrClose(stream);
    assertEquals(stream.listenerCount("drain") + stream.listenerCount("close"), 2);
    stream.emit(event);
    await waiting;
    assertEquals(stream.listenerCount("drain") + stream.listenerCount("close"), 0);
  });
}
