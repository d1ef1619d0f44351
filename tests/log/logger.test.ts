/**
 * The logger's lines: key order, fields over base fields, errors as name and
 * message, and the time of each line.
 */
import { assert, assertEquals } from "@std/assert";
import { createLogger } from "../../src/log/logger.ts";

Deno.test("a JSON line holds time, level, msg, then the base fields, then the call's fields", () => {
  const lines: string[] = [];
  const at = new Date("2026-11-30T14:00:00.123Z");
  const log = createLogger({ now: () => at, write: (l) => lines.push(l) })
    .child({ component: "dataplane", port: 80 });
  log.info("request", { status: 200, port: 8080, skipped: undefined });
  log.debug("not written");
  assertEquals(lines, [
    '{"time":"2026-11-30T14:00:00.123Z","level":"info","msg":"request","component":"dataplane","port":8080,"status":200}',
  ]);
});

Deno.test("errors in the base or the call's fields are written as name and message", () => {
  const lines: string[] = [];
  const log = createLogger({ format: "text", now: () => new Date(0), write: (l) => lines.push(l) })
    .child({ cause: new RangeError("base failure") });
  const fields = { error: new TypeError("call failure") };
  log.warn("failed", fields);
  assertEquals(
    lines[0],
    '1970-01-01T00:00:00.000Z WARN  failed cause={"name":"RangeError","message":"base failure"} ' +
      'error={"name":"TypeError","message":"call failure"}',
  );
  // The caller's object is left as it was.
  assert(fields.error instanceof TypeError);
});

Deno.test("without an injected clock each line carries the current time", () => {
  const lines: string[] = [];
  const log = createLogger({ write: (l) => lines.push(l) });
  const before = Date.now();
  log.info("first");
  // The next millisecond, by the clock itself rather than a sleep.
  const first = Date.now();
  while (Date.now() === first) { /* spin */ }
  log.info("second");
  const times = lines.map((l) => Date.parse(JSON.parse(l).time));
  assert(times[0] >= before && times[0] <= times[1] && times[1] <= Date.now());
  assert(times[1] > times[0]);
});
