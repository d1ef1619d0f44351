import { assert, assertEquals, assertFalse, assertMatch, assertStringIncludes } from "@std/assert";
import { createAdminApp } from "../../src/admin/admin_app.ts";
import { createMetrics } from "../../src/admin/metrics.ts";
import { createLogger, silentLogger } from "../../src/log/logger.ts";
import type { RouteRequest, RouteTable } from "../../src/router/router.ts";
import type { GatewayControl } from "../../src/admin/gateway_state.ts";
import type { ReloadOutcome } from "../../src/source/source.ts";
import {
  BACKEND,
  HTTP_LISTENER,
  inertTable,
  realKeyPair,
  sampleConfig,
  sampleResult,
  startingFields,
  type StateFields,
  testGatewayState,
} from "./_gateway_state.ts";

interface Setup {
  fields: StateFields;
  explained: RouteRequest[];
  reloads: number;
  app: ReturnType<typeof createAdminApp>;
  metrics: ReturnType<typeof createMetrics>;
  logLines: string[];
}

function setup(options: {
  reload?: () => Promise<ReloadOutcome>;
  explain?: (table: RouteTable, request: RouteRequest) => unknown;
} = {}): Setup {
  const fields = startingFields();
  const explained: RouteRequest[] = [];
  const logLines: string[] = [];
  const metrics = createMetrics({ defaultMetrics: false });
  const s: Setup = { fields, explained, reloads: 0, app: undefined!, metrics, logLines };
  const control: GatewayControl = {
    reload: () => {
      s.reloads++;
      return options.reload?.() ??
        Promise.resolve({ ok: true, problems: [], message: "Reloaded 3 objects" });
    },
  };
  s.app = createAdminApp({
    state: testGatewayState(fields),
    control,
    metrics,
    explain: options.explain ?? ((table, request) => {
      explained.push(request);
      return { ports: table.config.ports.length, host: request.host };
    }),
    logger: createLogger({ level: "debug", write: (line) => logLines.push(line) }),
    version: "9.9.9-test",
  });
  return s;
}

Deno.test("GET /healthz answers 200 ok, HEAD too, POST is 405 with Allow", async () => {
  const { app } = setup();
  const res = await app.request("/healthz");
  assertEquals(res.status, 200);
  assertEquals(await res.text(), "ok");
  const head = await app.request("/healthz", { method: "HEAD" });
  assertEquals(head.status, 200);
  assertEquals(await head.text(), "");
  const post = await app.request("/healthz", { method: "POST" });
  assertEquals(post.status, 405);
  assertEquals(post.headers.get("allow"), "GET, HEAD");
  assertEquals(typeof (await post.json()).error, "string");
});

Deno.test("GET /readyz is 503 with the reasons until the state is ready, then 200", async () => {
  const { app, fields } = setup();
  const before = await app.request("/readyz");
  assertEquals(before.status, 503);
  assertEquals(await before.json(), { ready: false, reasons: ["No config was loaded yet"] });
  fields.readiness = { ready: true, reasons: [] };
  const after = await app.request("/readyz");
  assertEquals(after.status, 200);
  assertEquals(await after.json(), { ready: true, reasons: [] });
  assertEquals(after.headers.get("cache-control"), "no-store");
  fields.readiness = { ready: false, reasons: ["Draining"] };
  assertEquals((await app.request("/readyz")).status, 503);
});

Deno.test("GET /config before any rebuild shows the source state and no config", async () => {
  const { app } = setup();
  const res = await app.request("/config");
  assertEquals(res.status, 200);
  assertMatch(res.headers.get("content-type") ?? "", /^application\/json/);
  const body = await res.json();
  assertEquals(body.version, "9.9.9-test");
  assertEquals(body.config, null);
  assertEquals(body.certificates, []);
  assertEquals(body.endpoints, {});
  assertEquals(body.lastRebuild, null);
  assertEquals(body.source.syncState, { Gateway: { synced: false, objects: 0 } });
});

Deno.test("GET /config shows config, listeners, endpoints, statuses, problems, sync state and extra", async () => {
  const { app, fields } = setup();
  const keys = await realKeyPair();
  fields.result = sampleResult(keys);
  fields.listeners = [
    { port: 80, protocol: "HTTP", bound: true },
    { port: 443, protocol: "HTTPS", bound: false, error: "Address in use" },
  ];
  fields.syncState = {
    Gateway: { synced: true, objects: 1, lastSyncTime: "2026-11-01T00:00:00Z" },
  };
  fields.sourceProblems = [{ object: "file:bad.yaml", message: "Cannot parse YAML" }];
  fields.lastRebuild = { time: "2026-11-01T00:00:01Z", ok: true, generation: 4, message: "ok" };
  fields.extra = () => ({ leader: { holder: "pod-a" } });

  const body = await (await app.request("/config")).json();
  // The dump is the config as JSON: its rule map comes out as an object with sorted keys.
  assertEquals(body.config, JSON.parse(JSON.stringify(sampleConfig())));
  assertEquals(body.listeners[1], {
    port: 443,
    protocol: "HTTPS",
    bound: false,
    error: "Address in use",
  });
  assertEquals(Object.keys(body.endpoints), [BACKEND]);
  assertEquals(body.endpoints[BACKEND].endpoints.length, 2);
  assertEquals(body.statuses[0].name, "gw");
  assertEquals(body.problems[0].object, "httproute/default/broken");
  assertEquals(body.source.problems, [{ object: "file:bad.yaml", message: "Cannot parse YAML" }]);
  assertEquals(body.source.kind, "files");
  assertEquals(body.source.syncState.Gateway.synced, true);
  assertEquals(body.lastRebuild.generation, 4);
  assertEquals(body.extra, { leader: { holder: "pod-a" } });
  assertEquals(body.certificates, [{
    id: "secret/default/web-tls",
    dnsNames: ["web.example.com"],
    notAfter: "2030-01-01T00:00:00Z",
  }]);
});

Deno.test("GET /config never prints a private key, even one an extra section carries", async () => {
  const { app, fields } = setup();
  const keys = await realKeyPair();
  assertStringIncludes(keys.keyPem, "PRIVATE KEY");
  fields.result = sampleResult(keys);
  fields.extra = () => ({ leaked: { keyPem: "x", nested: [keys.keyPem] }, other: keys.keyPem });
  const text = await (await app.request("/config")).text();
  assertFalse(text.includes("PRIVATE KEY"), "no PEM private key header");
  const keyBody = keys.keyPem.split("\n")[1];
  assert(keyBody.length > 20);
  assertFalse(text.includes(keyBody), "no key material");
  assertFalse(text.includes("BEGIN CERTIFICATE"), "certificates are summarised");
  assertStringIncludes(text, "[redacted]");
});

Deno.test("POST /reload answers 200 with the outcome when a config was swapped in", async () => {
  const s = setup();
  const res = await s.app.request("/reload", { method: "POST" });
  assertEquals(res.status, 200);
  assertEquals(await res.json(), { ok: true, message: "Reloaded 3 objects", problems: [] });
  assertEquals(s.reloads, 1);
});

Deno.test("POST /reload answers 422 with the problems when the reload was refused", async () => {
  const problems = [{ object: "file:gw.yaml", message: "Cannot parse YAML: bad indentation" }];
  const s = setup({
    reload: () => Promise.resolve({ ok: false, problems, message: "Reload refused" }),
  });
  const res = await s.app.request("/reload", { method: "POST" });
  assertEquals(res.status, 422);
  assertEquals(await res.json(), { ok: false, message: "Reload refused", problems });
});

Deno.test("POST /reload answers 500 without a stack trace when the reload throws", async () => {
  const s = setup({ reload: () => Promise.reject(new Error("Cannot list gateways: refused")) });
  const res = await s.app.request("/reload", { method: "POST" });
  assertEquals(res.status, 500);
  const text = await res.text();
  assertEquals(JSON.parse(text), { error: "Cannot reload: Cannot list gateways: refused" });
  assertFalse(text.includes("at "), "no stack frames");
  assert(s.logLines.some((l) => l.includes("reload failed")));
});

Deno.test("GET /reload is 405 and does not reload", async () => {
  const s = setup();
  const res = await s.app.request("/reload");
  assertEquals(res.status, 405);
  assertEquals(res.headers.get("allow"), "POST");
  assertEquals(s.reloads, 0);
});

Deno.test("GET /metrics serves Prometheus text with the families after requests were observed", async () => {
  const { app, metrics } = setup();
  metrics.observer.onRequest({
    listener: HTTP_LISTENER,
    route: "httproute/default/web/rule/0",
    method: "GET",
    status: 200,
    durationSeconds: 0.002,
  });
  metrics.observer.onUpstreamError(BACKEND, "timeout");
  metrics.recordRebuild({ ok: true, routes: 2, endpoints: 2, listeners: 2, problems: 1 });
  const res = await app.request("/metrics");
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const text = await res.text();
  for (
    const family of [
      "serval_http_requests_total",
      "serval_http_request_duration_seconds",
      "serval_upstream_errors_total",
      "serval_config_reloads_total",
      "serval_config_last_reload_success",
      "serval_routes",
    ]
  ) {
    assertStringIncludes(text, `# TYPE ${family} `);
  }
  assertStringIncludes(
    text,
    `serval_http_requests_total{listener="${HTTP_LISTENER}",route="httproute/default/web/rule/0",method="GET",code="200"} 1`,
  );
});

Deno.test("GET /explain is 503 before the first table", async () => {
  const { app } = setup();
  const res = await app.request("/explain?host=web.example.com&path=/");
  assertEquals(res.status, 503);
  assertEquals(await res.json(), { error: "Cannot explain request: no route table was built yet" });
});

Deno.test("GET /explain hands the parsed request to explain and returns its JSON", async () => {
  const s = setup();
  s.fields.table = inertTable(sampleConfig());
  const query = new URLSearchParams([
    ["host", "Web.Example.com"],
    ["path", "/api/../api/v1?page=2"],
    ["method", "post"],
    ["port", "443"],
    ["header", "X-Env: canary"],
    ["header", "x-env:blue"],
  ]);
  const res = await s.app.request(`/explain?${query}`);
  assertEquals(res.status, 200);
  assertEquals(await res.json(), { ports: 2, host: "web.example.com" });
  const [request] = s.explained;
  assertEquals(request.port, 443);
  assertEquals(request.method, "POST");
  assertEquals(request.path, "/api/v1");
  assertEquals(request.query, "page=2");
  assertEquals(request.headers.get("x-env"), "canary, blue");
  assertEquals(request.headers.get("host"), "Web.Example.com");
});

Deno.test("GET /explain passes a pool address on, and needs no port when only addresses differ", async () => {
  const s = setup();
  const config = sampleConfig();
  // Two Gateways' pool sockets on one port number: the port is still unambiguous.
  s.fields.table = inertTable({
    ...config,
    ports: [
      { ...config.ports[0], address: "127.32.0.1" },
      { ...config.ports[0], address: "127.32.0.2" },
    ],
  });
  const res = await s.app.request("/explain?host=web.example.com&path=/&address=127.32.0.2");
  assertEquals(res.status, 200);
  assertEquals(s.explained[0].address, "127.32.0.2");
  assertEquals(s.explained[0].port, config.ports[0].port);
  const bad = await s.app.request("/explain?host=web.example.com&path=/&address=a%20b");
  assertEquals(bad.status, 400);
  assertStringIncludes((await bad.json()).error, `Cannot parse address: current value is "a b"`);
});

Deno.test("GET /explain answers 400 with a clear message for a bad query", async () => {
  const s = setup();
  s.fields.table = inertTable(sampleConfig());
  const cases: [string, string][] = [
    ["path=/", "Cannot explain request: parameter host is required"],
    ["host=a.example.com&port=80", "Cannot explain request: parameter path is required"],
    ["host=a.example.com&path=/", "parameter port is required when the config has several ports"],
    ["host=a.example.com&path=nope&port=80", `Cannot parse path: current value is "nope"`],
    ["host=a.example.com&path=/&port=99999", `Cannot parse port: current value is "99999"`],
    ["host=a b&path=/&port=80", `Cannot parse host: current value is "a b"`],
    ["host=a.example.com&path=/&port=80&metod=GET", `unknown parameter "metod"`],
  ];
  for (const [query, message] of cases) {
    const res = await s.app.request(`/explain?${query}`);
    assertEquals(res.status, 400, query);
    assertStringIncludes((await res.json()).error, message);
  }
  assertEquals(s.explained.length, 0);
});

Deno.test("GET /explain answers 500 without details when explain throws", async () => {
  const s = setup({
    explain: () => {
      throw new TypeError("secret internals");
    },
  });
  s.fields.table = inertTable(sampleConfig());
  const res = await s.app.request("/explain?host=web.example.com&path=/&port=80");
  assertEquals(res.status, 500);
  const text = await res.text();
  assertEquals(JSON.parse(text), { error: "Cannot serve GET /explain: internal error" });
  assertFalse(text.includes("secret internals"));
});

Deno.test("a state that throws while building /config gives a JSON 500, logged", async () => {
  const s = setup();
  s.fields.extra = () => {
    throw new Error("leader state broken");
  };
  const res = await s.app.request("/config");
  assertEquals(res.status, 500);
  assertEquals(await res.json(), { error: "Cannot serve GET /config: internal error" });
  assert(s.logLines.some((l) => l.includes("leader state broken")));
});

Deno.test("unknown paths are 404 JSON", async () => {
  const { app } = setup();
  for (const path of ["/", "/admin", "/config/extra", "/metrics.json"]) {
    const res = await app.request(path);
    assertEquals(res.status, 404, path);
    assertEquals(await res.json(), { error: `Cannot find endpoint: current value is "${path}"` });
  }
});

Deno.test("createAdminApp works with the silent logger", async () => {
  const app = createAdminApp({
    state: testGatewayState(startingFields()),
    control: { reload: () => Promise.resolve({ ok: true, problems: [], message: "ok" }) },
    metrics: createMetrics({ defaultMetrics: false }),
    explain: () => null,
    logger: silentLogger,
    version: "0",
  });
  assertEquals((await app.request("/healthz")).status, 200);
});
