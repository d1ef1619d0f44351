/**
 * Attacks on the real gateway process over raw TCP: what a client sends to
 * strip or shadow a route's header, spoof its address, or reach a backend
 * under another path than the rule matched. Each step names the probe.
 */
import { assert, assertEquals } from "@std/assert";
import { type EchoRecord, startEchoBackend } from "../_helpers/echo_backend.ts";
import { freePort, startGateway } from "../_helpers/gateway_process.ts";
import { rawRequest } from "../dataplane/_proxy.ts";
import {
  gatewayYaml,
  hardeningManifests,
  prefixRule,
  routeYaml,
  serviceYaml,
  writeManifests,
} from "./_manifests.ts";

const values = (record: EchoRecord, name: string) =>
  record.headers.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);

Deno.test("hostile requests through the gateway process", async (t) => {
  await using publicBackend = startEchoBackend({ name: "public" });
  await using adminBackend = startEchoBackend({ name: "admin" });
  const dir = await Deno.makeTempDir({ prefix: "serval-hardening-" });
  const port = freePort();
  await writeManifests(
    dir,
    hardeningManifests(port, { public: publicBackend.port, admin: adminBackend.port }),
  );
  await using gw = await startGateway({ manifests: dir });
  const send = async (head: string, body = "") => {
    const res = await rawRequest(port, head, body);
    return { ...res, record: res.status === 200 ? JSON.parse(res.body) as EchoRecord : undefined };
  };

  await t.step("Connection: x-internal cannot strip the header the route sets", async () => {
    const res = await send("GET /public/x HTTP/1.1\r\nHost: a.example\r\nConnection: x-internal");
    assertEquals(values(res.record!, "x-internal"), ["route-set"]);
  });

  await t.step("X_Internal (underscore) does not reach the backend", async () => {
    const res = await send("GET /public/x HTTP/1.1\r\nHost: a.example\r\nX_Internal: evil");
    const names = res.record!.headers.map(([k]) => k.toLowerCase());
    assert(!names.includes("x_internal"), names.join(","));
    assertEquals(values(res.record!, "x-internal"), ["route-set"]);
  });

  await t.step("a client's X-Forwarded-For is not trusted by default", async () => {
    const res = await send("GET /public/x HTTP/1.1\r\nHost: a.example\r\nX-Forwarded-For: 6.6.6.6");
    assertEquals(values(res.record!, "x-forwarded-for"), ["127.0.0.1"]);
  });

  await t.step("encoded separators and dot-segment parameters are refused", async () => {
    const attacks = ["/public/..%2Fadmin", "/public/%2E%2E%2Fadmin", "/public/..%5cadmin"];
    for (const path of [...attacks, "/public/..;/admin", "/public%2Fadmin"]) {
      assertEquals((await send(`GET ${path} HTTP/1.1\r\nHost: a.example`)).status, 400, path);
    }
    assertEquals(publicBackend.requests() + adminBackend.requests(), 3);
  });

  await t.step("the backend gets the normalised path the rule matched", async () => {
    const res = await send("GET /public/x/%2e%2e/../admin/y HTTP/1.1\r\nHost: a.example");
    assertEquals(res.record!.name, "admin");
    assertEquals(res.record!.target, "/admin/y");
    assertEquals(values(res.record!, "x-admin-auth"), ["required"]);
  });

  await t.step("HTTP/1.1 without Host is a 400", async () => {
    assertEquals((await send("GET /public/x HTTP/1.1")).status, 400);
  });

  await t.step("bodyless DELETE and TRACE go upstream without chunked framing", async () => {
    for (const method of ["DELETE", "TRACE"]) {
      const res = await send(`${method} /public/x HTTP/1.1\r\nHost: a.example`);
      assertEquals(res.record!.chunked, false, method);
    }
  });

  await t.step("aborted uploads are 499s, logged below error", async () => {
    for (const length of [1000, 200_000]) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(new TextEncoder().encode(
        `POST /public/up HTTP/1.1\r\nHost: a.example\r\nContent-Length: ${length}\r\n\r\nxx`,
      ));
      conn.close();
    }
    const aborted = (r: Record<string, unknown>) => r.msg === "client request body failed";
    await gw.waitForLog((r) => gw.logRecords().filter(aborted).length >= 2 && aborted(r));
    assertEquals(gw.logRecords().filter((r) => r.level === "error"), []);
    const metrics = await (await gw.admin("/metrics")).text();
    assert(/serval_http_requests_total\{[^}]*method="POST"[^}]*code="499"\} 2/.test(metrics));
    assert(!/code="5\d\d"/.test(metrics), "no 5xx recorded");
  });

  assertEquals((await gw.stop()).code, 0);
});

Deno.test("the request policy flags reach every data-plane worker", async () => {
  await using backend = startEchoBackend({ name: "public" });
  const dir = await Deno.makeTempDir({ prefix: "serval-hardening-workers-" });
  const port = freePort();
  await writeManifests(dir, {
    "gateway.yaml": gatewayYaml(port),
    "services.yaml": serviceYaml("public", backend.port),
    "route.yaml": routeYaml("r", ["a.example"], prefixRule("/public", "public")),
  });
  await using gw = await startGateway({
    manifests: dir,
    args: [
      "--workers",
      "2",
      "--underscore-headers",
      "reject",
      "--xff-trusted-hops",
      "1",
      "--path-escaped-slashes",
      "redirect",
    ],
  });
  // Fresh connections, so both workers (SO_REUSEPORT) answer some of them.
  for (let i = 0; i < 8; i++) {
    const under = await rawRequest(port, "GET /public/x HTTP/1.1\r\nHost: a.example\r\nX_A: 1");
    assertEquals(under.status, 400);
    const xff = await rawRequest(
      port,
      "GET /public/x HTTP/1.1\r\nHost: a.example\r\nX-Forwarded-For: 6.6.6.6, 10.0.0.1",
    );
    assertEquals(values(JSON.parse(xff.body), "x-forwarded-for"), ["10.0.0.1, 127.0.0.1"]);
    const slash = await rawRequest(port, "GET /public/a%2Fb HTTP/1.1\r\nHost: a.example");
    assertEquals([slash.status, slash.headers.get("location")], [307, "/public/a/b"]);
  }
  assertEquals((await gw.stop()).code, 0);
});
