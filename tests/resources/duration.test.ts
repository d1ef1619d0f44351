import { assertEquals } from "@std/assert";
import { parseGatewayDuration } from "../../src/resources/duration.ts";

Deno.test("durations with one to four components parse to milliseconds", () => {
  assertEquals(parseGatewayDuration("10s"), { ok: true, ms: 10_000 });
  assertEquals(parseGatewayDuration("500ms"), { ok: true, ms: 500 });
  assertEquals(parseGatewayDuration("1m30s"), { ok: true, ms: 90_000 });
  assertEquals(parseGatewayDuration("1h2m3s4ms"), { ok: true, ms: 3_723_004 });
  assertEquals(parseGatewayDuration("0s"), { ok: true, ms: 0 });
  assertEquals(parseGatewayDuration("99999ms"), { ok: true, ms: 99_999 });
});

Deno.test("10ms is ten milliseconds, not ten minutes", () => {
  assertEquals(parseGatewayDuration("10ms"), { ok: true, ms: 10 });
});

Deno.test("durations outside the Gateway API subset are rejected with the value named", () => {
  for (const bad of ["", "1.5s", "100000s", "1d", "-1s", "1h1h1h1h1h", "1 s", "s", "1us"]) {
    const result = parseGatewayDuration(bad);
    assertEquals(result.ok, false, bad);
    if (!result.ok) assertEquals(result.error.includes(JSON.stringify(bad)), true, result.error);
  }
});
