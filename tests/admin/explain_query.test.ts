import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { parseExplainQuery } from "../../src/admin/explain_query.ts";
import type { RouteRequest } from "../../src/router/router.ts";

function parse(query: string | [string, string][], ports: number[] = [80]): RouteRequest {
  const parsed = parseExplainQuery(new URLSearchParams(query), ports);
  if (!parsed.ok) throw new Error(`Expected a request, got: ${parsed.error}`);
  return parsed.request;
}

function error(query: string | [string, string][], ports: number[] = [80]): string {
  const parsed = parseExplainQuery(new URLSearchParams(query), ports);
  assert(!parsed.ok, `expected ${JSON.stringify(query)} to be refused`);
  return parsed.error;
}

Deno.test("method defaults to GET and the only configured port is used", () => {
  const r = parse("host=web.example.com&path=/");
  assertEquals([r.method, r.port, r.host, r.path, r.query], [
    "GET",
    80,
    "web.example.com",
    "/",
    "",
  ]);
});

Deno.test("host is lower-cased and loses its port and trailing dot; host:port sets the port", () => {
  const r = parse("host=WEB.Example.COM.:8443&path=/", [80, 443]);
  assertEquals(r.host, "web.example.com");
  assertEquals(r.port, 8443);
  assertEquals(parse("host=[::1]:9000&path=/", [80, 443]).port, 9000);
  assertEquals(parse("host=[::1]&path=/").host, "::1");
});

Deno.test("an explicit port wins over the one in host", () => {
  assertEquals(parse("host=a.example.com:8080&path=/&port=81", [80, 81]).port, 81);
});

Deno.test("path is normalised like the data plane does and the query is split off", () => {
  const r = parse([["host", "a.example.com"], ["path", "/a//b/%2e%2e/c/%7euser?x=1&y=%20"]]);
  assertEquals(r.path, "/a/c/~user");
  assertEquals(r.query, "x=1&y=%20");
});

Deno.test("standard methods are upper-cased as Deno.serve does, others kept as written", () => {
  assertEquals(parse("host=a.example.com&path=/&method=delete").method, "DELETE");
  assertEquals(parse("host=a.example.com&path=/&method=patch").method, "patch");
  assertEquals(parse("host=a.example.com&path=/&method=PROPFIND").method, "PROPFIND");
});

Deno.test("repeated headers are appended and Host is set from the host parameter", () => {
  const r = parse([
    ["host", "a.example.com"],
    ["path", "/"],
    ["header", "X-Version: v2"],
    ["header", "x-version:v3"],
    ["header", "x-empty:"],
  ]);
  assertEquals(r.headers.get("x-version"), "v2, v3");
  assertEquals(r.headers.get("x-empty"), "");
  assertEquals(r.headers.get("host"), "a.example.com");
  const own = parse([["host", "a.example.com"], ["path", "/"], ["header", "host:b.example.com"]]);
  assertEquals(own.headers.get("host"), "b.example.com");
});

Deno.test("missing host or path is refused", () => {
  assertEquals(error("path=/"), "Cannot explain request: parameter host is required");
  assertEquals(error("host=&path=/"), "Cannot explain request: parameter host is required");
  assertEquals(error("host=a.example.com"), "Cannot explain request: parameter path is required");
});

Deno.test("a path that is not origin-form or is malformed is refused", () => {
  assertEquals(error("host=a.example.com&path=api"), `Cannot parse path: current value is "api"`);
  assertEquals(
    error([["host", "a.example.com"], ["path", "/bad%zz"]]),
    `Cannot parse path: current value is "/bad%zz"`,
  );
});

Deno.test("a host that is not a host name is refused", () => {
  for (const host of ["a b", "user@a.example.com", "a..b", "::1", "a.example.com:99999"]) {
    assertStringIncludes(error([["host", host], ["path", "/"]]), "Cannot parse host", host);
  }
});

Deno.test("port must be a number from 1 to 65535", () => {
  for (const port of ["0", "65536", "http", "-1", "8o"]) {
    assertEquals(
      error([["host", "a.example.com"], ["path", "/"], ["port", port]]),
      `Cannot parse port: current value is "${port}" (expected 1-65535)`,
    );
  }
  assertStringIncludes(error("host=a.example.com:0&path=/"), `current value is "0"`);
});

Deno.test("port is required when the config has several ports or none", () => {
  assertStringIncludes(error("host=a.example.com&path=/", [80, 443]), "(configured: 80, 443)");
  assertStringIncludes(error("host=a.example.com&path=/", []), "(configured: none)");
});

Deno.test("a method that is not a token is refused", () => {
  assertEquals(
    error([["host", "a.example.com"], ["path", "/"], ["method", "GE T"]]),
    `Cannot parse method: current value is "GE T"`,
  );
});

Deno.test("a header without a colon, with a bad name or a bad value is refused", () => {
  for (const header of ["x-version", ":v1", "x version:v1", "x-a:b\nc"]) {
    assertStringIncludes(
      error([["host", "a.example.com"], ["path", "/"], ["header", header]]),
      "Cannot parse header",
      JSON.stringify(header),
    );
  }
});

Deno.test("unknown and repeated single-valued parameters are refused", () => {
  assertStringIncludes(error("host=a.example.com&path=/&hots=x"), `unknown parameter "hots"`);
  assertStringIncludes(
    error("host=a.example.com&path=/&path=/b"),
    `"path" is given more than once`,
  );
});
