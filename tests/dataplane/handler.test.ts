import { assertEquals, assertStringIncludes } from "@std/assert";
import { createDataPlaneHandler } from "../../src/dataplane/handler.ts";
import type { RequestRecord } from "../../src/dataplane/observer.ts";
import { createProxyClient } from "../../src/dataplane/upstream_client.ts";
import { createLogger } from "../../src/log/logger.ts";
import { compileRouteTable } from "../../src/router/compile_route_table.ts";
import type { RouteTable } from "../../src/router/router.ts";
import { type EchoRecord, startEchoBackend } from "../_helpers/echo_backend.ts";
import { backend, testConfig } from "./_config.ts";
import { waitFor } from "../_helpers/wait_for.ts";

const INFO: Deno.ServeHandlerInfo = {
  remoteAddr: { transport: "tcp", hostname: "192.0.2.7", port: 40000 },
  completed: Promise.resolve(),
};

Deno.test("before the first table every request gets 503", async () => {
  const handler = createDataPlaneHandler({ getTable: () => undefined, port: 80, scheme: "http" });
  const res = await handler(new Request("http://a.example/x"), INFO);
  assertEquals(res.status, 503);
  assertStringIncludes(await res.text(), "No configuration");
});

Deno.test("an in-flight request keeps the table it started with", async () => {
  await using old = startEchoBackend({ name: "old" });
  await using next = startEchoBackend({ name: "new" });
  const upstream = createProxyClient();
  let table: RouteTable = compileRouteTable(
    testConfig(80, [{ path: "/", backends: [backend("old", [old.port])] }]),
  );
  const handler = createDataPlaneHandler({
    getTable: () => table,
    port: 80,
    scheme: "http",
    upstream,
  });
  try {
    const slow = handler(
      new Request("http://a.example/x", { headers: { "x-echo-action": "hold" } }),
      INFO,
    );
    await waitFor("the request held at the old backend", () => old.held() === 1);
    table = compileRouteTable(
      testConfig(80, [{ path: "/", backends: [backend("new", [next.port])] }]),
    );
    const fast = await handler(new Request("http://a.example/y"), INFO);
    assertEquals(((await fast.json()) as EchoRecord).name, "new");
    old.release();
    assertEquals(((await (await slow).json()) as EchoRecord).name, "old");
  } finally {
    upstream.close();
  }
});

Deno.test("the observer sees listener, rule, method and status; client IP goes into X-Forwarded-For", async () => {
  await using echo = startEchoBackend();
  const upstream = createProxyClient();
  const records: RequestRecord[] = [];
  const table = compileRouteTable(
    testConfig(80, [{ path: "/api", backends: [backend("echo", [echo.port])] }]),
  );
  const handler = createDataPlaneHandler({
    getTable: () => table,
    port: 80,
    scheme: "https",
    upstream,
    observer: { onRequest: (r) => records.push(r), onUpstreamError() {}, onClientEvent() {} },
  });
  try {
    const res = await handler(new Request("http://a.example/api/v1", { method: "DELETE" }), INFO);
    const record: EchoRecord = await res.json();
    assertEquals(record.method, "DELETE");
    const sent = new Map(record.headers.map(([k, v]) => [k.toLowerCase(), v]));
    assertEquals(sent.get("x-forwarded-for"), "192.0.2.7");
    assertEquals(sent.get("x-forwarded-proto"), "https");
    await (await handler(new Request("http://a.example/other"), INFO)).body?.cancel();
    assertEquals(
      records.map(({ listener, route, method, status }) => ({ listener, route, method, status })),
      [
        {
          listener: "gateway/default/gw/listener/web",
          route: "httproute/default/test/rule/0",
          method: "DELETE",
          status: 200,
        },
        { listener: "gateway/default/gw/listener/web", route: "none", method: "GET", status: 404 },
      ],
    );
  } finally {
    upstream.close();
  }
});

Deno.test("an exception inside the handler becomes a 500 and an error log, never a throw", async () => {
  const lines: string[] = [];
  const handler = createDataPlaneHandler({
    getTable: () => {
      throw new Error("boom");
    },
    port: 80,
    scheme: "http",
    logger: createLogger({ level: "error", write: (l) => lines.push(l) }),
  });
  const res = await handler(new Request("http://a.example/x"), INFO);
  assertEquals(res.status, 500);
  assertEquals(lines.length, 1);
  assertStringIncludes(lines[0], "boom");
});

Deno.test("a redirect answers without a backend, with listener port kept when nothing overrides it", async () => {
  const table = compileRouteTable(testConfig(8080, [{
    path: "/",
    filters: [{ type: "RequestRedirect", hostname: "example.org", statusCode: 302 }],
  }]));
  const handler = createDataPlaneHandler({ getTable: () => table, port: 8080, scheme: "http" });
  const res = await handler(new Request("http://gw.local:8080/scheme-nil-and-port-nil?x=1"), INFO);
  assertEquals(res.status, 302);
  assertEquals(res.headers.get("location"), "http://example.org:8080/scheme-nil-and-port-nil?x=1");
});
