import { assert, assertEquals } from "@std/assert";
import { validateResource } from "../../src/resources/validate.ts";
import { errorsOf } from "./_validation_errors.ts";

function route(spec: Record<string, unknown>) {
  return validateResource({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "GRPCRoute",
    metadata: { name: "echo", namespace: "default" },
    spec: { parentRefs: [{ name: "gw" }], ...spec },
  });
}

function match(m: Record<string, unknown>) {
  return route({ rules: [{ matches: [m], backendRefs: [{ name: "echo", port: 8080 }] }] });
}

Deno.test("a complete GRPCRoute is accepted and keeps its fields", () => {
  const spec = {
    parentRefs: [{ name: "gw", namespace: "infra", sectionName: "http" }],
    hostnames: ["grpc.example.com"],
    rules: [{
      name: "echo",
      matches: [
        { method: { service: "echo.v1.Echo", method: "Say" } },
        { method: { type: "RegularExpression", service: "echo\\.v[0-9]+\\.Echo" } },
        {
          headers: [{ name: "version", value: "two" }, {
            type: "RegularExpression",
            name: "x",
            value: "a.*",
          }],
        },
      ],
      filters: [
        {
          type: "RequestHeaderModifier",
          requestHeaderModifier: { set: [{ name: "a", value: "b" }] },
        },
        { type: "RequestMirror", requestMirror: { backendRef: { name: "mirror", port: 8080 } } },
      ],
      backendRefs: [{ name: "echo", port: 8080, weight: 3 }, { name: "echo-v2", port: 8080 }],
    }],
  };
  const result = route(spec);
  assert(result.ok, JSON.stringify(result));
  assertEquals(result.value.kind, "GRPCRoute");
  assertEquals((result.value as { spec: unknown }).spec, spec);
});

Deno.test("a method match must name a service or a method", () => {
  assertEquals(errorsOf(match({ method: { type: "Exact" } })), [
    "spec.rules[0].matches[0].method: must set one or both of service and method",
  ]);
});

Deno.test("Exact service and method names are gRPC names; regular expressions are not checked here", () => {
  assertEquals(errorsOf(match({ method: { service: "echo/Echo", method: "Say!" } })).length, 2);
  assert(match({ method: { type: "RegularExpression", service: "echo/.*", method: ".+" } }).ok);
  assert(match({ method: { service: ".echo._v1.Echo" } }).ok);
});

Deno.test("HTTPRoute-only filters are refused in a GRPCRoute", () => {
  const result = route({
    rules: [{
      filters: [{ type: "URLRewrite", urlRewrite: { hostname: "x.example.com" } }],
      backendRefs: [{ name: "echo", port: 8080 }],
    }],
  });
  assertEquals(errorsOf(result), [
    "spec.rules[0].filters[0].urlRewrite: is not a known field (known: type, requestHeaderModifier, responseHeaderModifier, requestMirror, extensionRef)",
    'spec.rules[0].filters[0].type: must be one of RequestHeaderModifier, ResponseHeaderModifier, RequestMirror, ExtensionRef in a GRPCRoute, got "URLRewrite"',
  ]);
});

Deno.test("header names repeat case-insensitively is an error; rule names are unique", () => {
  const headers = [{ name: "Version", value: "1" }, { name: "version", value: "2" }];
  assertEquals(errorsOf(match({ headers })).length, 1);
  const twice = route({ rules: [{ name: "a" }, { name: "a" }] });
  assertEquals(errorsOf(twice), [
    'spec.rules[1]: must be unique: rule name "a" appears more than once',
  ]);
});

Deno.test("a GRPCRoute without rules is valid: it matches nothing until rules are added", () => {
  assert(route({}).ok);
});
