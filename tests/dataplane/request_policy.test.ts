/**
 * The request policy through a real data-plane port: a client can neither
 * strip nor shadow what a route sets, `X-Forwarded-For` is only trusted as
 * far as configured, and a path cannot reach a backend spelled otherwise
 * than the rule saw it.
 */
import { assert, assertEquals } from "@std/assert";
import { decidePath } from "../../src/dataplane/path_policy.ts";
import { DEFAULT_REQUEST_POLICY, forwardedFor } from "../../src/dataplane/request_policy.ts";
import type { RequestPolicy } from "../../src/dataplane/request_policy.ts";
import { type EchoRecord, startEchoBackend } from "../_helpers/echo_backend.ts";
import { backend } from "./_config.ts";
import { abortUploads, rawRequest, startProxy } from "./_proxy.ts";
import { waitFor } from "../_helpers/wait_for.ts";

const names = (record: EchoRecord) => record.headers.map(([k]) => k.toLowerCase());
const header = (record: EchoRecord, name: string) =>
  record.headers.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);

const SET_INTERNAL = {
  type: "RequestHeaderModifier" as const,
  modifier: { set: [{ name: "X-Internal", value: "route" }], add: [], remove: [] },
};

async function withProxy(
  policy: Partial<RequestPolicy>,
  run: (port: number, statuses: number[]) => Promise<void>,
): Promise<void> {
  await using echo = startEchoBackend();
  await using proxy = await startProxy([
    { path: "/admin", backends: [backend("admin", [echo.port])], filters: [SET_INTERNAL] },
    { path: "/public", backends: [backend("public", [echo.port])], filters: [SET_INTERNAL] },
  ], { ...DEFAULT_REQUEST_POLICY, ...policy });
  await run(proxy.port, proxy.statuses);
}

Deno.test("a header a route sets survives Connection: <name> from the client", async () => {
  await withProxy({}, async (port) => {
    const res = await rawRequest(
      port,
      "GET /public/x HTTP/1.1\r\nHost: a\r\nConnection: x-internal",
    );
    assertEquals(res.status, 200);
    assertEquals(header(JSON.parse(res.body), "x-internal"), ["route"]);
  });
});

Deno.test("a client's X-Internal is replaced, never joined, by the route's set", async () => {
  await withProxy({}, async (port) => {
    const res = await rawRequest(port, "GET /public/x HTTP/1.1\r\nHost: a\r\nX-Internal: evil");
    assertEquals(header(JSON.parse(res.body), "x-internal"), ["route"]);
  });
});

Deno.test("underscore header names: dropped by default, refused or kept when asked", async () => {
  const head = "GET /public/x HTTP/1.1\r\nHost: a\r\nX_Internal: evil\r\nX-Kept: k";
  await withProxy({}, async (port) => {
    const record: EchoRecord = JSON.parse((await rawRequest(port, head)).body);
    assert(!names(record).includes("x_internal"), names(record).join(","));
    assertEquals(header(record, "x-kept"), ["k"]);
  });
  await withProxy({ underscoreHeaders: "reject" }, async (port) => {
    assertEquals((await rawRequest(port, head)).status, 400);
  });
  await withProxy({ underscoreHeaders: "allow" }, async (port) => {
    const record: EchoRecord = JSON.parse((await rawRequest(port, head)).body);
    assertEquals(header(record, "x_internal"), ["evil"]);
  });
});

Deno.test("X-Forwarded-For keeps only as many client entries as trusted hops", async () => {
  const head = "GET /public/x HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 6.6.6.6, 10.0.0.2" +
    "\r\nForwarded: for=6.6.6.6\r\nX-Real-IP: 6.6.6.6";
  await withProxy({}, async (port) => {
    const record: EchoRecord = JSON.parse((await rawRequest(port, head)).body);
    assertEquals(header(record, "x-forwarded-for"), ["127.0.0.1"]);
    assertEquals([...header(record, "forwarded"), ...header(record, "x-real-ip")], []);
  });
  await withProxy({ xffTrustedHops: 1 }, async (port) => {
    const record: EchoRecord = JSON.parse((await rawRequest(port, head)).body);
    assertEquals(header(record, "x-forwarded-for"), ["10.0.0.2, 127.0.0.1"]);
    assertEquals(header(record, "forwarded"), ["for=6.6.6.6"]);
  });
  assertEquals(forwardedFor("a, b, c", "p", 5), "a, b, c, p");
  assertEquals(forwardedFor(" , ", "p", 2), "p");
});

Deno.test("encoded separators never reach the /public backend as another path", async () => {
  const attacks = ["/public/..%2Fadmin", "/public/%2E%2E%2Fadmin", "/public/..%5cadmin"];
  await withProxy({}, async (port) => {
    for (const path of [...attacks, "/public/..;/admin", "/public%2Fx", "/admin%2Fx"]) {
      assertEquals((await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: a`)).status, 400, path);
    }
    // Unambiguous: both spellings select the /public rule; the escape is kept.
    const res = await rawRequest(port, "GET /public/group%2fproject HTTP/1.1\r\nHost: a");
    assertEquals(JSON.parse(res.body).target, "/public/group%2fproject");
  });
  await withProxy({ escapedSlashes: "redirect" }, async (port) => {
    for (const path of attacks) {
      const res = await rawRequest(port, `GET ${path}?q=1 HTTP/1.1\r\nHost: a`);
      assertEquals(res.status, 307, path);
      assertEquals(res.headers.get("location"), "/admin?q=1", path);
    }
  });
  await withProxy({ escapedSlashes: "reject" }, async (port) => {
    for (const path of [...attacks, "/public/group%2Fproject"]) {
      assertEquals((await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: a`)).status, 400);
    }
  });
  await withProxy({ escapedSlashes: "unescape" }, async (port) => {
    for (const path of attacks) {
      const res = await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: a`);
      const record: EchoRecord = JSON.parse(res.body);
      assertEquals(record.target, "/admin", path);
      assertEquals(header(record, "x-internal"), ["route"]);
    }
  });
});

Deno.test("a path whose segments changed is forwarded normalised; one only respelt, as sent", () => {
  assertEquals(decidePath("/a/./b//c/%7Ex", "keep"), {
    action: "route",
    path: "/a/b/c/~x",
    forward: "/a/b/c/~x",
  });
  assertEquals(decidePath("/a/%7Eb/%3a", "keep"), {
    action: "route",
    path: "/a/~b/%3A",
    forward: "/a/%7Eb/%3a",
  });
});

Deno.test("path decisions: parameters on dot segments are refused under every policy", () => {
  for (const policy of ["redirect", "reject", "unescape", "keep"] as const) {
    for (const path of ["/a/..;/b", "/a/.;x/b", "/a/..%3B/b", "/a/%2e%2e;/b"]) {
      assertEquals(decidePath(path, policy).action, "reject", `${policy} ${path}`);
    }
    assertEquals(decidePath("/a;v=1/b", policy), {
      action: "route",
      path: "/a;v=1/b",
      forward: "/a;v=1/b",
    });
  }
  // A redirect never leaves the origin: merged slashes cannot start a `//host` reference.
  assertEquals(decidePath("/%2F%2Fevil.example", "redirect"), {
    action: "redirect",
    path: "/evil.example",
  });
});

Deno.test("path decisions: the same path asked again under another policy, or another path after it, is decided anew", () => {
  const escaped = "/x/a%2Fb";
  assertEquals(decidePath(escaped, "keep").action, "route");
  assertEquals(decidePath(escaped, "keep").action, "route");
  assertEquals(decidePath(escaped, "reject").action, "reject");
  assertEquals(decidePath(escaped, "redirect"), { action: "redirect", path: "/x/a/b" });
  assertEquals(decidePath("/a/b", "redirect"), { action: "route", path: "/a/b", forward: "/a/b" });
  // The same text in another string is the same path.
  const again = ["", "a", "b"].join("/");
  assertEquals(decidePath(again, "redirect"), { action: "route", path: "/a/b", forward: "/a/b" });
  assertEquals(decidePath("/a/../b", "redirect"), { action: "route", path: "/b", forward: "/b" });
  assertEquals(decidePath("/bad%zz", "redirect"), {
    action: "reject",
    reason: "invalid request path",
  });
});

Deno.test("a request without framing goes upstream without a body (no chunked DELETE)", async () => {
  await withProxy({}, async (port) => {
    for (const method of ["DELETE", "TRACE", "OPTIONS"]) {
      const res = await rawRequest(port, `${method} /public/x HTTP/1.1\r\nHost: a`);
      const record: EchoRecord = JSON.parse(res.body);
      assertEquals(record.chunked, false, method);
      assert(!names(record).includes("transfer-encoding"), method);
      assert(!names(record).includes("content-length"), method);
    }
    const res = await rawRequest(
      port,
      "POST /public/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked",
      "3\r\nabc\r\n0\r\n\r\n",
    );
    assertEquals(JSON.parse(res.body).body, "abc");
  });
});

Deno.test("HTTP/1.1 without Host is a 400", async () => {
  await withProxy({}, async (port) => {
    assertEquals((await rawRequest(port, "GET /public/x HTTP/1.1")).status, 400);
  });
});

Deno.test("a client that aborts its upload is a 499, not a 5xx or an upstream error", async () => {
  await using echo = startEchoBackend();
  await using proxy = await startProxy([{ path: "/", backends: [backend("echo", [echo.port])] }]);
  await abortUploads(proxy.port);
  await waitFor("both aborted uploads answered", () => proxy.statuses.length >= 2);
  assertEquals(proxy.statuses, [499, 499]);
  assertEquals(proxy.upstreamErrors, []);
});
