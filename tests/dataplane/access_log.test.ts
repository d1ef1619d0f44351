import { assertEquals } from "@std/assert";
import { logAccess, MAX_REQUEST_ID_LENGTH, requestIdOf } from "../../src/dataplane/access_log.ts";
import { createLogger } from "../../src/log/logger.ts";

function recorder() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ write: (line) => lines.push(JSON.parse(line)) });
  return { lines, logger };
}

const FIELDS = { listener: "l", route: "r", method: "GET", started: performance.now() };

Deno.test("a client's request id is kept; a missing or oversized one is replaced by a UUID", () => {
  assertEquals(requestIdOf(new Headers({ "x-request-id": "abc" })), {
    id: "abc",
    generated: false,
  });
  const long = requestIdOf(new Headers({ "x-request-id": "x".repeat(MAX_REQUEST_ID_LENGTH + 1) }));
  assertEquals([long.generated, long.id.length], [true, 36]);
  assertEquals(requestIdOf(new Headers()).generated, true);
});

Deno.test("a known length is logged at once; the response is passed through untouched", () => {
  const { lines, logger } = recorder();
  const res = new Response("hello", { headers: { "content-length": "5" } });
  const req = new Request("http://x/a", {
    method: "POST",
    body: "abc",
    headers: { "content-length": "3" },
  });
  assertEquals(logAccess(logger, req, { ...FIELDS, requestId: "id-1" }, res), res);
  assertEquals(
    [lines[0].msg, lines[0].requestId, lines[0].bytesIn, lines[0].bytesOut, lines[0].status],
    ["request", "id-1", 3, 5, 200],
  );
});

Deno.test("a body of unknown length is counted and logged when it ends", async () => {
  const { lines, logger } = recorder();
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new Uint8Array(3));
      c.enqueue(new Uint8Array(4));
      c.close();
    },
  });
  const res = logAccess(logger, new Request("http://x/a"), FIELDS, new Response(body));
  assertEquals(lines.length, 0);
  assertEquals((await res.arrayBuffer()).byteLength, 7);
  assertEquals(lines[0].bytesOut, 7);
});
