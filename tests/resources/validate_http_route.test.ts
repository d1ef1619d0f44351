import { assert, assertEquals } from "@std/assert";
import { validateResource } from "../../src/resources/validate.ts";
import { errorsOf } from "./_validation_errors.ts";

function route(spec: Record<string, unknown>) {
  return validateResource({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: "web", namespace: "default" },
    spec: { parentRefs: [{ name: "gw" }], ...spec },
  });
}

function rule(r: Record<string, unknown>) {
  return route({ rules: [r] });
}

const backend = { name: "web", port: 8080 };

Deno.test("a complete HTTPRoute is accepted and keeps its fields", () => {
  const spec = {
    parentRefs: [{ name: "gw", namespace: "infra", sectionName: "https", port: 443 }],
    hostnames: ["example.com", "*.example.org"],
    rules: [{
      name: "main",
      matches: [{
        path: { type: "PathPrefix", value: "/api" },
        headers: [{ name: "X-Env", value: "prod" }, {
          type: "RegularExpression",
          name: "x-v",
          value: "^v[0-9]+$",
        }],
        queryParams: [{ name: "debug", value: "1" }],
        method: "GET",
      }],
      filters: [
        {
          type: "RequestHeaderModifier",
          requestHeaderModifier: { set: [{ name: "a", value: "b" }], remove: ["c"] },
        },
        {
          type: "URLRewrite",
          urlRewrite: {
            hostname: "internal",
            path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" },
          },
        },
        {
          type: "RequestMirror",
          requestMirror: {
            backendRef: { name: "shadow", port: 80 },
            fraction: { numerator: 1, denominator: 10 },
          },
        },
      ],
      backendRefs: [{ ...backend, weight: 90 }, {
        name: "canary",
        port: 8080,
        weight: 10,
        filters: [],
      }],
      timeouts: { request: "10s", backendRequest: "2s" },
    }],
  };
  const r = route(spec);
  assert(r.ok, JSON.stringify(r));
  assertEquals((r.value as { spec: unknown }).spec, spec);
});

Deno.test("an HTTPRoute without spec fields is accepted (defaults are translate's)", () => {
  assert(route({}).ok);
});

Deno.test("Exact and PathPrefix values must be clean absolute paths", () => {
  const cases: [string, string][] = [
    ["foo", 'must start with "/"'],
    ["/a//b", 'must not contain "//"'],
    ["/a/../b", 'must not contain "/../"'],
    ["/a%2fb", 'must not contain "%2f"'],
    ["/a#b", 'must not contain "#"'],
    ["/a/..", 'must not end with "/." or "/.."'],
    ["/a b", "must contain only URL path characters and %-encoded octets"],
  ];
  for (const [value, message] of cases) {
    assertEquals(errorsOf(rule({ matches: [{ path: { type: "Exact", value } }] })), [
      `spec.rules[0].matches[0].path.value: ${message}, got ${JSON.stringify(value)}`,
    ]);
  }
  // No type means PathPrefix.
  assertEquals(errorsOf(rule({ matches: [{ path: { value: "api" } }] })).length, 1);
});

Deno.test("RegularExpression path values are not checked here (translate reports bad patterns)", () => {
  assert(rule({ matches: [{ path: { type: "RegularExpression", value: "([a-z" } }] }).ok);
});

Deno.test("match enums are checked", () => {
  assertEquals(
    errorsOf(rule({
      matches: [{
        path: { type: "Prefix", value: "/" },
        method: "get",
        headers: [{ type: "Contains", name: "a", value: "b" }],
      }],
    })),
    [
      'spec.rules[0].matches[0].path.type: must be one of Exact, PathPrefix, RegularExpression; got "Prefix"',
      'spec.rules[0].matches[0].headers[0].type: must be one of Exact, RegularExpression; got "Contains"',
      'spec.rules[0].matches[0].method: must be one of GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH; got "get"',
    ],
  );
});

Deno.test("header names must be RFC 7230 tokens and unique within a match", () => {
  assertEquals(
    errorsOf(
      rule({
        matches: [{ headers: [{ name: ":authority", value: "x" }, { name: "a", value: "" }] }],
      }),
    ),
    [
      'spec.rules[0].matches[0].headers[0].name: must be a valid HTTP header name (RFC 7230 token characters only), got ":authority"',
      "spec.rules[0].matches[0].headers[1].value: must not be empty",
    ],
  );
  assertEquals(
    errorsOf(
      rule({ matches: [{ headers: [{ name: "a", value: "1" }, { name: "a", value: "2" }] }] }),
    ),
    [
      'spec.rules[0].matches[0].headers[1]: must be unique: header name "a" appears more than once',
    ],
  );
});

Deno.test("backend weights are 0 to 1000000 and Service references need a port", () => {
  assertEquals(errorsOf(rule({ backendRefs: [{ ...backend, weight: 1000001 }, { name: "b" }] })), [
    "spec.rules[0].backendRefs[0].weight: must be between 0 and 1000000, got 1000001",
    "spec.rules[0].backendRefs[1].port: is required for a Service reference",
  ]);
  assert(rule({ backendRefs: [{ group: "example.com", kind: "Bucket", name: "b" }] }).ok);
});

Deno.test("the CRD limits on rules, matches, filters and backends are enforced", () => {
  const many = <T>(n: number, f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));
  assertEquals(errorsOf(route({ rules: many(17, () => ({})) })), [
    "spec.rules: must have at most 16 items, got 17",
  ]);
  assertEquals(errorsOf(route({ rules: [] })), ["spec.rules: must have at least 1 item"]);
  assertEquals(errorsOf(rule({ matches: many(65, () => ({})) })), [
    "spec.rules[0].matches: must have at most 64 items, got 65",
  ]);
  assertEquals(errorsOf(route({ rules: many(3, () => ({ matches: many(50, () => ({})) })) })), [
    "spec.rules: must have at most 128 matches in all rules, got 150",
  ]);
  assertEquals(errorsOf(rule({ backendRefs: many(17, () => backend) })), [
    "spec.rules[0].backendRefs: must have at most 16 items, got 17",
  ]);
  assertEquals(
    errorsOf(
      rule({
        filters: many(
          17,
          () => ({ type: "RequestMirror", requestMirror: { backendRef: backend } }),
        ),
      }),
    ),
    ["spec.rules[0].filters: must have at most 16 items, got 17"],
  );
  assertEquals(errorsOf(route({ hostnames: many(17, (i) => `h${i}.example.com`) })), [
    "spec.hostnames: must have at most 16 items, got 17",
  ]);
});

Deno.test("a filter must carry the configuration of its type and no other", () => {
  assertEquals(errorsOf(rule({ filters: [{ type: "RequestRedirect" }] })), [
    "spec.rules[0].filters[0].requestRedirect: is required when type is RequestRedirect",
  ]);
  assertEquals(
    errorsOf(
      rule({
        filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: {}, urlRewrite: {} }],
      }),
    ),
    ["spec.rules[0].filters[0].urlRewrite: must not be set when type is RequestHeaderModifier"],
  );
});

Deno.test("unknown filter types are kept for translate to report", () => {
  const r = rule({ filters: [{ type: "example.com/auth" }] });
  assert(r.ok && r.value.kind === "HTTPRoute");
  assertEquals(r.value.spec.rules?.[0].filters?.[0].type, "example.com/auth");
});

Deno.test("core filters may not repeat, and redirect excludes rewrite and backends", () => {
  const redirect = { type: "RequestRedirect", requestRedirect: { scheme: "https" } };
  const rewrite = { type: "URLRewrite", urlRewrite: { hostname: "a.example" } };
  assertEquals(errorsOf(rule({ filters: [redirect, redirect] })), [
    "spec.rules[0].filters[1].type: must not repeat: only one RequestRedirect filter is allowed",
  ]);
  assertEquals(errorsOf(rule({ filters: [redirect, rewrite] })), [
    "spec.rules[0].filters: must not contain both RequestRedirect and URLRewrite",
  ]);
  assertEquals(errorsOf(rule({ filters: [redirect], backendRefs: [backend] })), [
    "spec.rules[0].filters: must not contain a RequestRedirect filter when backendRefs are set",
  ]);
});

Deno.test("redirect fields are checked: scheme, hostname, port, status code, path modifier", () => {
  const errors = errorsOf(rule({
    filters: [{
      type: "RequestRedirect",
      requestRedirect: {
        scheme: "ftp",
        hostname: "*.example.com",
        port: 0,
        statusCode: 304,
        path: { type: "ReplaceFullPath", replacePrefixMatch: "/x" },
      },
    }],
  }));
  const f = "spec.rules[0].filters[0].requestRedirect";
  assertEquals(errors, [
    `${f}.scheme: must be one of http, https; got "ftp"`,
    `${f}.hostname: must be a lower-case RFC 1123 hostname without wildcard, got "*.example.com"`,
    `${f}.path.replaceFullPath: is required when type is ReplaceFullPath`,
    `${f}.path.replacePrefixMatch: must not be set when type is ReplaceFullPath`,
    `${f}.port: must be between 1 and 65535, got 0`,
    `${f}.statusCode: must be one of 301, 302, 303, 307, 308; got 304`,
  ]);
});

Deno.test("replacePrefixMatch needs exactly one PathPrefix match (an absent match counts as PathPrefix /)", () => {
  const rewrite = {
    type: "URLRewrite",
    urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/v2" } },
  };
  assert(rule({ filters: [rewrite], backendRefs: [backend] }).ok);
  assert(rule({ matches: [{ path: { value: "/v1" } }], filters: [rewrite] }).ok);
  const expected = [
    "spec.rules[0].matches: must be exactly one PathPrefix match when a filter uses replacePrefixMatch",
  ];
  assertEquals(
    errorsOf(rule({ matches: [{ path: { type: "Exact", value: "/v1" } }], filters: [rewrite] })),
    expected,
  );
  assertEquals(
    errorsOf(rule({ matches: [{}, {}], backendRefs: [{ ...backend, filters: [rewrite] }] })),
    expected,
  );
});

Deno.test("timeouts use Gateway API durations and backendRequest fits in request", () => {
  assertEquals(errorsOf(rule({ timeouts: { request: "1.5s" } })), [
    'spec.rules[0].timeouts.request: must be a duration such as "10s", "500ms" or "1m30s" (units h, m, s, ms), got "1.5s"',
  ]);
  assertEquals(errorsOf(rule({ timeouts: { request: "1s", backendRequest: "2s" } })), [
    "spec.rules[0].timeouts.backendRequest: must not be longer than the request timeout 1s, got 2s",
  ]);
  assert(rule({ timeouts: { request: "0s", backendRequest: "2s" } }).ok);
});

Deno.test("route hostnames and parentRefs are checked", () => {
  assertEquals(errorsOf(route({ hostnames: ["Example.COM"], parentRefs: [{ port: 80 }] })), [
    "spec.parentRefs[0].name: is required",
    'spec.hostnames[0]: must be a lower-case RFC 1123 hostname, optionally prefixed by "*.", got "Example.COM"',
  ]);
});

Deno.test("request mirror percent and fraction are checked", () => {
  const mirror = (m: Record<string, unknown>) =>
    rule({ filters: [{ type: "RequestMirror", requestMirror: { backendRef: backend, ...m } }] });
  const f = "spec.rules[0].filters[0].requestMirror";
  assertEquals(errorsOf(mirror({ percent: 101 })), [
    `${f}.percent: must be between 0 and 100, got 101`,
  ]);
  assertEquals(errorsOf(mirror({ fraction: { numerator: 5, denominator: 4 } })), [
    `${f}.fraction: numerator must be less than or equal to denominator, got 5/4`,
  ]);
  assertEquals(errorsOf(mirror({ percent: 5, fraction: { numerator: 1 } })), [
    `${f}: must not set both percent and fraction`,
  ]);
});
