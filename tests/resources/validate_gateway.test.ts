import { assert, assertEquals } from "@std/assert";
import { validateResource } from "../../src/resources/validate.ts";
import { errorsOf } from "./_validation_errors.ts";

const CONTROLLER = "gateway.serval.dev/controller";

function gateway(spec: Record<string, unknown>) {
  return validateResource({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name: "gw", namespace: "infra" },
    spec: { gatewayClassName: "serval", ...spec },
  });
}

const http = { name: "http", port: 80, protocol: "HTTP" };
const https = {
  name: "https",
  port: 443,
  protocol: "HTTPS",
  hostname: "*.example.com",
  tls: { certificateRefs: [{ name: "cert" }] },
};

Deno.test("a valid Gateway keeps its listeners, TLS and allowedRoutes", () => {
  const allowedRoutes = {
    namespaces: { from: "Selector", selector: { matchLabels: { team: "a" } } },
    kinds: [{ kind: "HTTPRoute" }],
  };
  const r = gateway({ listeners: [http, { ...https, allowedRoutes }] });
  assert(r.ok, JSON.stringify(r));
  assert(r.value.kind === "Gateway");
  assertEquals(r.value.spec.listeners[1] as unknown, { ...https, allowedRoutes });
});

Deno.test("a Gateway needs a class and at least one listener", () => {
  const r = validateResource({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name: "gw" },
    spec: { listeners: [] },
  });
  assertEquals(errorsOf(r), [
    "spec.listeners: must have at least 1 item",
    "spec.gatewayClassName: is required",
  ]);
});

Deno.test("listener port must be between 1 and 65535", () => {
  assertEquals(errorsOf(gateway({ listeners: [http, { ...http, name: "b", port: 70000 }] })), [
    "spec.listeners[1].port: must be between 1 and 65535, got 70000",
  ]);
  assertEquals(errorsOf(gateway({ listeners: [{ ...http, port: "80" }] })), [
    'spec.listeners[0].port: must be an integer, got string "80"',
  ]);
});

Deno.test("listener hostname must be RFC 1123, optionally with a leading wildcard", () => {
  for (const hostname of ["Example.com", "*.*.example.com", "foo_bar.com", "-a.com", "a.*.com"]) {
    const errors = errorsOf(gateway({ listeners: [{ ...http, hostname }] }));
    assertEquals(errors.length, 1, hostname);
    assert(
      errors[0].startsWith("spec.listeners[0].hostname: must be a lower-case RFC 1123 hostname"),
    );
  }
  assert(gateway({ listeners: [{ ...http, hostname: "*.example.com" }] }).ok);
  assert(gateway({ listeners: [{ ...http, hostname: "a-b.c1.example" }] }).ok);
});

Deno.test("listener names are unique; repeated port/protocol/hostname is left to translate", () => {
  assertEquals(errorsOf(gateway({ listeners: [http, { ...http, port: 81 }] })), [
    'spec.listeners[1]: must be unique: listener name "http" appears more than once',
  ]);
  assert(gateway({ listeners: [http, { ...http, name: "other" }] }).ok);
});

Deno.test("tls is rejected on HTTP listeners and Passthrough on HTTPS", () => {
  assertEquals(errorsOf(gateway({ listeners: [{ ...http, tls: https.tls }] })), [
    "spec.listeners[0].tls: must not be set for protocol HTTP",
  ]);
  assertEquals(
    errorsOf(gateway({ listeners: [{ ...https, tls: { mode: "Passthrough" } }] })),
    ["spec.listeners[0].tls.mode: must be Terminate for protocol HTTPS"],
  );
});

Deno.test("a terminating listener needs certificateRefs or options; TLS protocol needs a mode", () => {
  assertEquals(errorsOf(gateway({ listeners: [{ ...https, tls: {} }] })), [
    "spec.listeners[0].tls: must have certificateRefs or options when mode is Terminate",
  ]);
  assertEquals(errorsOf(gateway({ listeners: [{ name: "t", port: 443, protocol: "TLS" }] })), [
    "spec.listeners[0].tls.mode: is required for protocol TLS",
  ]);
  assert(
    gateway({
      listeners: [{ name: "t", port: 443, protocol: "TLS", tls: { mode: "Passthrough" } }],
    }).ok,
  );
});

Deno.test("an HTTPS listener without tls is structurally valid (translate reports it)", () => {
  assert(gateway({ listeners: [{ name: "s", port: 443, protocol: "HTTPS" }] }).ok);
});

Deno.test("unknown protocols pass validation for translate to report as unsupported", () => {
  assert(gateway({ listeners: [{ name: "x", port: 9000, protocol: "example.com/quic" }] }).ok);
  assertEquals(errorsOf(gateway({ listeners: [{ name: "x", port: 9000, protocol: "h t t p" }] })), [
    'spec.listeners[0].protocol: must be a protocol name such as "HTTP" or "HTTPS", got "h t t p"',
  ]);
});

Deno.test("allowedRoutes enums and label selector operators are checked", () => {
  const errors = errorsOf(gateway({
    listeners: [{
      ...http,
      allowedRoutes: {
        namespaces: {
          from: "Everywhere",
          selector: {
            matchExpressions: [{ key: "team", operator: "In" }, {
              key: "x",
              operator: "Exists",
              values: ["a"],
            }],
          },
        },
        kinds: [{ group: "gateway.networking.k8s.io" }],
      },
    }],
  }));
  assertEquals(errors, [
    'spec.listeners[0].allowedRoutes.namespaces.from: must be one of All, Same, Selector; got "Everywhere"',
    "spec.listeners[0].allowedRoutes.namespaces.selector.matchExpressions[0].values: must not be empty for operator In",
    "spec.listeners[0].allowedRoutes.namespaces.selector.matchExpressions[1].values: must be empty for operator Exists",
    "spec.listeners[0].allowedRoutes.kinds[0].kind: is required",
  ]);
});

Deno.test("a GatewayClass needs a domain-prefixed controllerName", () => {
  const gc = (spec: unknown) =>
    validateResource({
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "GatewayClass",
      metadata: { name: "serval" },
      spec,
    });
  assert(gc({ controllerName: CONTROLLER, description: "ours" }).ok);
  assertEquals(errorsOf(gc({})), ["spec.controllerName: is required"]);
  assertEquals(errorsOf(gc({ controllerName: "serval" })), [
    'spec.controllerName: must be a domain-prefixed path such as "example.net/gateway-controller", got "serval"',
  ]);
  assertEquals(errorsOf(gc({ controllerName: CONTROLLER, parametersRef: { name: "p" } })), [
    "spec.parametersRef.group: is required",
    "spec.parametersRef.kind: is required",
  ]);
  assertEquals(errorsOf(gc({ controllerName: CONTROLLER, description: "x".repeat(65) })), [
    "spec.description: must be at most 64 characters long, got 65",
  ]);
});
