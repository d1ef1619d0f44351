import { assertEquals, assertRejects } from "@std/assert";
import { readWatchStream } from "../../src/source/watch_stream.ts";
import type { WatchEvent } from "../../src/source/kube_objects.ts";

/** A body that delivers `chunks` one read at a time. */
function body(chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i === chunks.length) return controller.close();
      const chunk = chunks[i++];
      controller.enqueue(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
    },
  });
}

/** Reads `chunks`, noting after which chunk (its count so far) each event was applied. */
async function read(chunks: (string | Uint8Array)[]) {
  const seen: { name?: string; afterChunks: number }[] = [];
  let chunksRead = 0;
  const outcome = await readWatchStream(body(chunks), () => chunksRead++, (e: WatchEvent) => {
    seen.push({ name: e.object?.metadata?.name, afterChunks: chunksRead });
    return undefined;
  });
  return { outcome, seen };
}

const event = (name: string) => JSON.stringify({ type: "ADDED", object: { metadata: { name } } });

Deno.test("every event of one chunk is applied as that chunk is read, before the next read", async () => {
  const { outcome, seen } = await read([`${event("a")}\n${event("b")}\n`, `${event("c")}\n`]);
  assertEquals(outcome, "ended");
  assertEquals(seen, [
    { name: "a", afterChunks: 1 },
    { name: "b", afterChunks: 1 },
    { name: "c", afterChunks: 2 },
  ]);
});

Deno.test("an event split over chunks is applied once its newline comes", async () => {
  const text = `${event("split")}\n`;
  const { seen } = await read([text.slice(0, 10), text.slice(10, 30), text.slice(30)]);
  assertEquals(seen, [{ name: "split", afterChunks: 3 }]);
});

Deno.test("a character of several bytes split between chunks is read whole", async () => {
  const bytes = new TextEncoder().encode(`${event("café-☃")}\n`);
  const at = bytes.indexOf(0xe2) + 1; // inside the snowman's three bytes
  const { seen } = await read([bytes.slice(0, at), bytes.slice(at)]);
  assertEquals(seen, [{ name: "café-☃", afterChunks: 2 }]);
});

Deno.test("blank lines between events are skipped", async () => {
  const { seen } = await read([`\n${event("a")}\n\n  \n${event("b")}\n`]);
  assertEquals(seen.map((s) => s.name), ["a", "b"]);
});

Deno.test("a stream that ends inside an event is an error", async () => {
  await assertRejects(
    () => read([`${event("a")}\n${event("b").slice(0, 12)}`]),
    Error,
    "ended inside an event",
  );
});

Deno.test("an event asking for a relist stops the read", async () => {
  let applied = 0;
  const outcome = await readWatchStream(body([`${event("a")}\n${event("b")}\n`]), () => {}, () => {
    applied++;
    return "relist";
  });
  assertEquals(outcome, "relist");
  assertEquals(applied, 1);
});
