/**
 * ListenerSet validation: a parent reference and 1 to 64 listeners held to
 * a Gateway listener's rules, plus the set's own uniqueness rules; and the
 * Gateway's `spec.allowedListeners`.
 */
import { assert, assertEquals } from "@std/assert";
import { validateResource } from "../../src/resources/validate.ts";
import { errorsOf } from "./_validation_errors.ts";

function listenerSet(spec: Record<string, unknown>) {
  return validateResource({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "ListenerSet",
    metadata: { name: "ls", namespace: "team" },
    spec,
  });
}

const parentRef = { kind: "Gateway", group: "gateway.networking.k8s.io", name: "gw" };
const http = { name: "http", port: 80, protocol: "HTTP", hostname: "a.example.com" };

Deno.test("a valid ListenerSet keeps its parent reference and listeners", () => {
  const r = listenerSet({ parentRef: { ...parentRef, namespace: "infra" }, listeners: [http] });
  assert(r.ok, JSON.stringify(r));
  assert(r.value.kind === "ListenerSet");
  assertEquals(r.value.spec.parentRef, { ...parentRef, namespace: "infra" });
  assertEquals(r.value.spec.listeners, [http]);
});

Deno.test("a ListenerSet needs a parent name and at least one listener", () => {
  assertEquals(errorsOf(listenerSet({ parentRef: {}, listeners: [] })), [
    "spec.parentRef.name: is required",
    "spec.listeners: must have at least 1 item",
  ]);
  assertEquals(errorsOf(listenerSet({ listeners: [http] })), ["spec.parentRef: is required"]);
});

Deno.test("ListenerSet listeners follow the Gateway listener rules", () => {
  assertEquals(
    errorsOf(listenerSet({ parentRef, listeners: [{ ...http, port: 0, tls: { mode: "x" } }] })),
    [
      "spec.listeners[0].port: must be between 1 and 65535, got 0",
      'spec.listeners[0].tls.mode: must be one of Terminate, Passthrough; got "x"',
      "spec.listeners[0].tls: must not be set for protocol HTTP",
    ],
  );
});

Deno.test("a ListenerSet's listener names and port/protocol/hostname combinations are unique", () => {
  assertEquals(
    errorsOf(listenerSet({ parentRef, listeners: [http, { ...http, hostname: "b.example.com" }] })),
    ['spec.listeners[1]: must be unique: listener name "http" appears more than once'],
  );
  assertEquals(
    errorsOf(listenerSet({ parentRef, listeners: [http, { ...http, name: "again" }] })),
    [
      'spec.listeners[1]: must be unique: port, protocol and hostname "80 HTTP a.example.com" appears more than once',
    ],
  );
});

Deno.test("a Gateway's allowedListeners takes None, Same, Selector and All", () => {
  const gateway = (from: string) =>
    validateResource({
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      metadata: { name: "gw", namespace: "infra" },
      spec: {
        gatewayClassName: "serval",
        listeners: [http],
        allowedListeners: { namespaces: { from, selector: { matchLabels: { a: "b" } } } },
      },
    });
  for (const from of ["None", "Same", "Selector", "All"]) {
    const r = gateway(from);
    assert(r.ok && r.value.kind === "Gateway", JSON.stringify(r));
    assertEquals(r.value.spec.allowedListeners?.namespaces?.from, from);
  }
  assertEquals(errorsOf(gateway("Some")), [
    'spec.allowedListeners.namespaces.from: must be one of All, Same, Selector, None; got "Some"',
  ]);
});
