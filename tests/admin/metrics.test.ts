import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { createMetrics } from "../../src/admin/metrics.ts";
import type { RuleConfig } from "../../src/model/config.ts";
import { type RuleMap, ruleMapOf } from "../../src/model/rule_map.ts";

const LISTENER = "gateway/default/gw/listener/http";
const ROUTE = "httproute/default/web/rule/0";

/** The value of one sample line (`name{labels} value`), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

Deno.test("metrics use a registry of their own, not prom-client's global one", async () => {
  const { register } = await import("prom-client");
  const a = createMetrics({ defaultMetrics: false });
  const b = createMetrics({ defaultMetrics: false });
  a.observer.onRequest({
    listener: LISTENER,
    route: ROUTE,
    method: "GET",
    status: 200,
    durationSeconds: 0.01,
  });
  const textB = await b.registry.metrics();
  assertEquals(
    sample(
      textB,
      `serval_http_requests_total{listener="${LISTENER}",route="${ROUTE}",method="GET",code="200"}`,
    ),
    undefined,
  );
  assert(!(await register.metrics()).includes("serval_"));
});

Deno.test("a request is counted by listener, route, method and code, and timed by listener and route", async () => {
  const m = createMetrics({ defaultMetrics: false });
  for (let i = 0; i < 3; i++) {
    m.observer.onRequest({
      listener: LISTENER,
      route: ROUTE,
      method: "GET",
      status: 200,
      durationSeconds: 0.003,
    });
  }
  m.observer.onRequest({
    listener: LISTENER,
    route: ROUTE,
    method: "POST",
    status: 502,
    durationSeconds: 0.2,
  });
  const text = await m.registry.metrics();
  const l = `listener="${LISTENER}",route="${ROUTE}"`;
  assertEquals(sample(text, `serval_http_requests_total{${l},method="GET",code="200"}`), 3);
  assertEquals(sample(text, `serval_http_requests_total{${l},method="POST",code="502"}`), 1);
  assertEquals(sample(text, `serval_http_request_duration_seconds_bucket{${l},le="0.0025"}`), 0);
  assertEquals(sample(text, `serval_http_request_duration_seconds_bucket{${l},le="0.005"}`), 3);
  assertEquals(sample(text, `serval_http_request_duration_seconds_bucket{${l},le="0.25"}`), 4);
  assertEquals(sample(text, `serval_http_request_duration_seconds_bucket{${l},le="+Inf"}`), 4);
  assertEquals(sample(text, `serval_http_request_duration_seconds_count{${l}}`), 4);
  const sum = sample(text, `serval_http_request_duration_seconds_sum{${l}}`)!;
  assert(Math.abs(sum - 0.209) < 1e-9, `sum is ${sum}`);
  assertStringIncludes(text, "# TYPE serval_http_requests_total counter");
  assertStringIncludes(text, "# TYPE serval_http_request_duration_seconds histogram");
});

Deno.test("a duration equal to a bucket bound falls in that bucket (le is inclusive)", async () => {
  const m = createMetrics({ defaultMetrics: false });
  m.observer.onRequest({
    listener: "a",
    route: "b",
    method: "GET",
    status: 200,
    durationSeconds: 0.005,
  });
  const text = await m.registry.metrics();
  assertEquals(
    sample(text, `serval_http_request_duration_seconds_bucket{listener="a",route="b",le="0.0025"}`),
    0,
  );
  assertEquals(
    sample(text, `serval_http_request_duration_seconds_bucket{listener="a",route="b",le="0.005"}`),
    1,
  );
});

Deno.test("unknown and lower-case methods are counted as OTHER; odd status codes as other", async () => {
  const m = createMetrics({ defaultMetrics: false });
  for (const method of ["BREW", "patch", "x".repeat(200)]) {
    m.observer.onRequest({ listener: "a", route: "b", method, status: 200, durationSeconds: 0 });
  }
  m.observer.onRequest({
    listener: "a",
    route: "b",
    method: "GET",
    status: 999,
    durationSeconds: -1,
  });
  const text = await m.registry.metrics();
  assertEquals(
    sample(text, `serval_http_requests_total{listener="a",route="b",method="OTHER",code="200"}`),
    3,
  );
  assertEquals(
    sample(text, `serval_http_requests_total{listener="a",route="b",method="GET",code="other"}`),
    1,
  );
  assertEquals(sample(text, `serval_http_request_duration_seconds_sum{listener="a",route="b"}`), 0);
  assert(!text.includes("BREW") && !text.includes("patch"));
});

Deno.test("upstream errors are counted by backend and kind", async () => {
  const m = createMetrics({ defaultMetrics: false });
  m.observer.onUpstreamError("service/default/api:80", "connect");
  m.observer.onUpstreamError("service/default/api:80", "connect");
  m.observer.onUpstreamError("service/default/api:80", "timeout");
  const text = await m.registry.metrics();
  assertEquals(
    sample(text, `serval_upstream_errors_total{backend="service/default/api:80",kind="connect"}`),
    2,
  );
  assertEquals(
    sample(text, `serval_upstream_errors_total{backend="service/default/api:80",kind="timeout"}`),
    1,
  );
});

Deno.test("a successful rebuild sets the gauges, counts ok and stamps the time", async () => {
  const m = createMetrics({ defaultMetrics: false, now: () => 1_700_000_000_500 });
  m.recordRebuild({
    ok: true,
    translateSeconds: 0.002,
    routes: 7,
    endpoints: 12,
    listeners: 3,
    problems: 2,
  });
  const text = await m.registry.metrics();
  assertEquals(sample(text, `serval_config_reloads_total{result="ok"}`), 1);
  assertEquals(sample(text, `serval_config_reloads_total{result="failed"}`), 0);
  assertEquals(sample(text, "serval_config_last_reload_success"), 1);
  assertEquals(sample(text, "serval_config_last_reload_timestamp_seconds"), 1_700_000_000.5);
  assertEquals(sample(text, "serval_routes"), 7);
  assertEquals(sample(text, "serval_endpoints"), 12);
  assertEquals(sample(text, "serval_listeners"), 3);
  assertEquals(sample(text, "serval_config_problems"), 2);
  assertEquals(sample(text, "serval_translate_duration_seconds_count"), 1);
  assertEquals(sample(text, `serval_translate_duration_seconds_bucket{le="0.0025"}`), 1);
});

Deno.test("a failed rebuild keeps the served table's gauges and the last success time", async () => {
  let now = 1_000_000;
  const m = createMetrics({ defaultMetrics: false, now: () => now });
  m.recordRebuild({
    ok: true,
    translateSeconds: 0.001,
    routes: 7,
    endpoints: 12,
    listeners: 3,
    problems: 0,
  });
  now = 2_000_000;
  m.recordRebuild({ ok: false, routes: 0, endpoints: 0, listeners: 0, problems: 4 });
  const text = await m.registry.metrics();
  assertEquals(sample(text, `serval_config_reloads_total{result="ok"}`), 1);
  assertEquals(sample(text, `serval_config_reloads_total{result="failed"}`), 1);
  assertEquals(sample(text, "serval_config_last_reload_success"), 0);
  assertEquals(sample(text, "serval_config_last_reload_timestamp_seconds"), 1000);
  assertEquals(sample(text, "serval_routes"), 7);
  assertEquals(sample(text, "serval_config_problems"), 4);
  assertEquals(sample(text, "serval_translate_duration_seconds_count"), 1);
});

Deno.test("a rebuild with rule and backend ids drops the series of removed rules, listeners and backends", async () => {
  const m = createMetrics({ defaultMetrics: false });
  for (const route of ["r/0", "r/1", "none"]) {
    m.observer.onRequest({
      listener: "l",
      route,
      method: "GET",
      status: 200,
      durationSeconds: 0.01,
    });
  }
  for (const listener of ["gone-listener", "none"]) {
    m.observer.onRequest({
      listener,
      route: "r/0",
      method: "GET",
      status: 200,
      durationSeconds: 0,
    });
  }
  m.observer.onUpstreamError("service/a/gone:80", "reset");
  m.observer.onUpstreamError("service/a/kept:80", "reset");
  m.recordRebuild({
    ok: true,
    routes: 1,
    endpoints: 1,
    listeners: 1,
    problems: 0,
    ruleIds: ["r/0"],
    listenerIds: ["l"],
    backendIds: ["service/a/kept:80"],
  });
  const text = await m.registry.metrics();
  assertStringIncludes(text, `route="r/0"`);
  assertStringIncludes(text, `route="none"`);
  assert(!text.includes(`route="r/1"`), "series of the removed rule is gone");
  assert(!text.includes("gone-listener"), "series of the removed listener are gone");
  assertStringIncludes(text, `listener="none"`);
  assertStringIncludes(text, `backend="service/a/kept:80"`);
  assert(!text.includes("service/a/gone:80"), "series of the removed backend is gone");
});

Deno.test("source sync, watch restarts and status writes are exported", async () => {
  const m = createMetrics({ defaultMetrics: false });
  m.setSourceSynced("Gateway", true);
  m.setSourceSynced("HTTPRoute", false);
  m.recordWatchRestart("HTTPRoute");
  m.recordWatchRestart("HTTPRoute");
  m.recordStatusWrite("conflict");
  const text = await m.registry.metrics();
  assertEquals(sample(text, `serval_source_synced{kind="Gateway"}`), 1);
  assertEquals(sample(text, `serval_source_synced{kind="HTTPRoute"}`), 0);
  assertEquals(sample(text, `serval_kube_watch_restarts_total{kind="HTTPRoute"}`), 2);
  assertEquals(sample(text, `serval_status_writes_total{result="conflict"}`), 1);
  assertEquals(sample(text, `serval_status_writes_total{result="ok"}`), 0);
});

/** Whether this test process may read `/proc/self` (Deno wants `--allow-all` for it). */
function procSelfReadable(): boolean {
  try {
    Deno.readTextFileSync("/proc/self/status");
    return true;
  } catch {
    return false;
  }
}

Deno.test("default process metrics work under Deno and the ones that measure nothing are left out", async () => {
  const m = createMetrics({ version: "1.2.3" });
  const text = await m.registry.metrics();
  assertGreaterZero(text, "process_resident_memory_bytes");
  assertGreaterZero(text, "nodejs_heap_size_used_bytes");
  assert(sample(text, "process_cpu_seconds_total") !== undefined);
  assertStringIncludes(text, "nodejs_eventloop_lag_seconds");
  assertStringIncludes(text, `serval_build_info{version="1.2.3",deno="${Deno.version.deno}"} 1`);
  for (
    const name of ["nodejs_gc_duration_seconds", "nodejs_active_handles", "nodejs_active_requests"]
  ) {
    assert(!text.includes(name), `${name} is left out`);
  }
  // With /proc/self readable (--allow-all) the /proc families are real; without
  // it they are left out rather than printed as 0.
  if (Deno.build.os === "linux" && procSelfReadable()) {
    assertGreaterZero(text, "process_open_fds");
    assertGreaterZero(text, "process_virtual_memory_bytes");
  } else {
    for (const name of ["process_open_fds", "process_virtual_memory_bytes", "process_heap_bytes"]) {
      assertEquals(sample(text, name), undefined, `${name} is left out`);
    }
  }
});

function assertGreaterZero(text: string, name: string) {
  const value = sample(text, name);
  assert(value !== undefined && value > 0, `expected ${name} to be positive, got ${value}`);
}

Deno.test("client events are counted per family and reason, every reason printed from the start", async () => {
  const m = createMetrics({ defaultMetrics: false });
  const before = await m.registry.metrics();
  assert(before.includes('serval_client_connections_rejected_total{reason="shed"} 0'));
  assert(before.includes('serval_client_timeouts_total{kind="total"} 0'));
  assert(before.includes('serval_http_policy_rejections_total{reason="escaped_slash_rule"} 0'));
  m.observer.onClientEvent("connection_rejected", "port");
  m.observer.onClientEvent("connection_rejected", "port");
  m.observer.onClientEvent("client_timeout", "header");
  m.observer.onClientEvent("policy_rejected", "missing_host");
  const text = await m.registry.metrics();
  assert(text.includes('serval_client_connections_rejected_total{reason="port"} 2'));
  assert(text.includes('serval_client_connections_rejected_total{reason="global"} 0'));
  assert(text.includes('serval_client_timeouts_total{kind="header"} 1'));
  assert(text.includes('serval_http_policy_rejections_total{reason="missing_host"} 1'));
});

Deno.test("a rebuild leaves the table's sizes uncounted until a scrape reads them", async () => {
  const m = createMetrics({ defaultMetrics: false });
  const { rebuildRecordOf } = await import("../../src/admin/rebuild_record.ts");
  let walks = 0;
  const rule = { backends: [], filters: [] } as unknown as RuleConfig;
  const inner = ruleMapOf({ "r/0": rule });
  const walked = <T>(it: T): T => (walks += 1, it);
  const rules: RuleMap = {
    size: inner.size,
    get: (id) => inner.get(id),
    has: (id) => inner.has(id),
    entries: () => walked(inner.entries()),
    keys: () => walked(inner.keys()),
    values: () => walked(inner.values()),
    forEach: (fn) => walked(inner).forEach(fn),
    [Symbol.iterator]: () => walked(inner.entries()),
    toJSON: () => walked(inner.toJSON()),
  };
  const result = {
    config: { ports: [], rules },
    certificates: [],
    statuses: [],
    problems: [],
  };
  for (let i = 0; i < 3; i++) {
    m.recordRebuild(rebuildRecordOf({ ok: true, result, sourceProblems: 0 }));
  }
  assertEquals(walks, 0, "three changes, no walk over the rules");
  const text = await m.registry.metrics();
  assertEquals(sample(text, "serval_routes"), 1);
  assertEquals(walks, 1, "one scrape, one walk");
});
