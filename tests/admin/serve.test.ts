/**
 * The admin and telemetry apps behind real sockets, served the way the
 * runtime serves them (`Deno.serve({ hostname, port }, app.fetch)`), on
 * ephemeral loopback ports.
 */
import { assertEquals, assertStringIncludes } from "@std/assert";
import { createAdminApp } from "../../src/admin/admin_app.ts";
import { createMetrics } from "../../src/admin/metrics.ts";
import { createTelemetryApp } from "../../src/admin/telemetry_app.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { inertTable, sampleConfig, startingFields, testGatewayState } from "./_gateway_state.ts";

function serve(fetch: (request: Request) => Response | Promise<Response>) {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, fetch);
}

Deno.test("admin and telemetry apps answer over real sockets", async () => {
  const fields = startingFields();
  const state = testGatewayState(fields);
  const metrics = createMetrics({ defaultMetrics: false });
  let reloads = 0;
  const admin = serve(
    createAdminApp({
      state,
      control: {
        reload: () => {
          reloads++;
          return Promise.resolve({ ok: true, problems: [], message: "Reloaded" });
        },
      },
      metrics,
      explain: (_table, request) => ({ path: request.path, port: request.port }),
      logger: silentLogger,
      version: "0.0.0-test",
    }).fetch,
  );
  const telemetry = serve(createTelemetryApp({ state, metrics }).fetch);
  const adminUrl = `http://127.0.0.1:${admin.addr.port}`;
  const telemetryUrl = `http://127.0.0.1:${telemetry.addr.port}`;
  try {
    for (const base of [adminUrl, telemetryUrl]) {
      const health = await fetch(`${base}/healthz`);
      assertEquals([health.status, await health.text()], [200, "ok"]);
      const notReady = await fetch(`${base}/readyz`);
      assertEquals(notReady.status, 503);
      await notReady.body?.cancel();
    }
    fields.readiness = { ready: true, reasons: [] };
    fields.table = inertTable(sampleConfig());
    const ready = await fetch(`${telemetryUrl}/readyz`);
    assertEquals(ready.status, 200);
    await ready.body?.cancel();

    metrics.observer.onRequest({
      listener: "l",
      route: "r",
      method: "GET",
      status: 204,
      durationSeconds: 0.001,
    });
    const scraped = await fetch(`${telemetryUrl}/metrics`);
    assertStringIncludes(scraped.headers.get("content-type") ?? "", "text/plain");
    assertStringIncludes(
      await scraped.text(),
      `serval_http_requests_total{listener="l",route="r",method="GET",code="204"} 1`,
    );

    const refused = await fetch(`${telemetryUrl}/config`);
    assertEquals(refused.status, 404);
    await refused.body?.cancel();
    const refusedReload = await fetch(`${telemetryUrl}/reload`, { method: "POST" });
    assertEquals(refusedReload.status, 404);
    await refusedReload.body?.cancel();
    assertEquals(reloads, 0);

    const config = await fetch(`${adminUrl}/config`);
    assertEquals((await config.json()).version, "0.0.0-test");
    const reload = await fetch(`${adminUrl}/reload`, { method: "POST" });
    assertEquals(await reload.json(), { ok: true, message: "Reloaded", problems: [] });
    assertEquals(reloads, 1);
    const explained = await fetch(
      `${adminUrl}/explain?host=web.example.com&port=80&path=${encodeURIComponent("/a/./b?q=1")}`,
    );
    assertEquals(await explained.json(), { path: "/a/b", port: 80 });
  } finally {
    await Promise.all([admin.shutdown(), telemetry.shutdown()]);
  }
});
