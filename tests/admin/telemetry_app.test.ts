import { assertEquals, assertStringIncludes } from "@std/assert";
import { createMetrics } from "../../src/admin/metrics.ts";
import { createTelemetryApp } from "../../src/admin/telemetry_app.ts";
import { startingFields, testGatewayState } from "./_gateway_state.ts";

function setup() {
  const fields = startingFields();
  const metrics = createMetrics({ defaultMetrics: false });
  const app = createTelemetryApp({ state: testGatewayState(fields), metrics });
  return { app, fields, metrics };
}

Deno.test("telemetry serves /healthz", async () => {
  const res = await setup().app.request("/healthz");
  assertEquals(res.status, 200);
  assertEquals(await res.text(), "ok");
});

Deno.test("telemetry /readyz flips from 503 to 200 with the state", async () => {
  const { app, fields } = setup();
  assertEquals((await app.request("/readyz")).status, 503);
  fields.readiness = { ready: true, reasons: [] };
  assertEquals((await app.request("/readyz")).status, 200);
});

Deno.test("telemetry serves /metrics as Prometheus text", async () => {
  const { app, metrics } = setup();
  metrics.setSourceSynced("HTTPRoute", true);
  const res = await app.request("/metrics");
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  assertStringIncludes(await res.text(), `serval_source_synced{kind="HTTPRoute"} 1`);
});

Deno.test("telemetry does not serve /config, /reload or /explain, whatever the method", async () => {
  const { app } = setup();
  for (const path of ["/config", "/reload", "/explain?host=a&path=/", "/", "/debug"]) {
    for (const method of ["GET", "POST"]) {
      const res = await app.request(path, { method });
      assertEquals(res.status, 404, `${method} ${path}`);
      assertStringIncludes((await res.json()).error, "Cannot find endpoint");
    }
  }
});

Deno.test("telemetry answers 405 to a write on a probe path", async () => {
  const res = await setup().app.request("/metrics", { method: "DELETE" });
  assertEquals(res.status, 405);
  assertEquals(res.headers.get("allow"), "GET, HEAD");
});
