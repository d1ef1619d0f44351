import { assert, assertEquals } from "@std/assert";
import { isNamespacedKind, validateResource } from "../../src/resources/validate.ts";
import { errorsOf } from "./_validation_errors.ts";

Deno.test("a non-object document is invalid, not a crash", () => {
  for (const raw of [null, "text", 42, [1, 2], undefined]) {
    const errors = errorsOf(validateResource(raw));
    assertEquals(errors.length, 1);
    assert(errors[0].startsWith("must be an object with apiVersion and kind"));
  }
});

Deno.test("kind and apiVersion are required", () => {
  assertEquals(errorsOf(validateResource({ metadata: { name: "x" } })), [
    "kind: is required",
    "apiVersion: is required",
  ]);
});

Deno.test("unknown kinds are ignored", () => {
  const r = validateResource({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "x" },
  });
  assertEquals(r, { ok: false, ignored: true, kind: "Deployment", apiVersion: "apps/v1" });
});

Deno.test("a same-named kind of another API group is ignored", () => {
  const r = validateResource({
    apiVersion: "networking.istio.io/v1beta1",
    kind: "Gateway",
    metadata: { name: "x" },
    spec: { servers: [] },
  });
  assert(!r.ok && r.ignored);
});

Deno.test("an unsupported version of a known kind is invalid and names the supported ones", () => {
  const r = validateResource({
    apiVersion: "gateway.networking.k8s.io/v1alpha2",
    kind: "HTTPRoute",
    metadata: { name: "x" },
    spec: {},
  });
  assertEquals(errorsOf(r), [
    'apiVersion: must be one of gateway.networking.k8s.io/v1, gateway.networking.k8s.io/v1beta1 for HTTPRoute; got "gateway.networking.k8s.io/v1alpha2"',
  ]);
  assert(!r.ok && !r.ignored && r.kind === "HTTPRoute" && r.name === "x");
});

Deno.test("v1beta1 Gateway API objects are accepted", () => {
  for (const kind of ["GatewayClass", "Gateway", "HTTPRoute"]) {
    const r = validateResource({
      apiVersion: "gateway.networking.k8s.io/v1beta1",
      kind,
      metadata: { name: "x", namespace: "default" },
      spec: kind === "GatewayClass"
        ? { controllerName: "gateway.serval.dev/controller" }
        : kind === "Gateway"
        ? { gatewayClassName: "c", listeners: [{ name: "h", port: 80, protocol: "HTTP" }] }
        : {},
    });
    assert(r.ok, `${kind}: ${JSON.stringify(r)}`);
  }
});

Deno.test("metadata.name is required and must be a DNS subdomain", () => {
  const base = { apiVersion: "v1", kind: "Secret" };
  assertEquals(errorsOf(validateResource({ ...base, metadata: {} })), [
    "metadata.name: is required",
  ]);
  assertEquals(errorsOf(validateResource(base)), [
    "metadata: is required",
    "metadata.name: is required",
  ]);
  assertEquals(errorsOf(validateResource({ ...base, metadata: { name: "Bad_Name" } })), [
    "metadata.name: must be a lower-case RFC 1123 subdomain (letters, digits, '-' and '.'), got \"Bad_Name\"",
  ]);
});

Deno.test("label values that YAML made numbers or booleans are rejected with the key", () => {
  const r = validateResource({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "team-a", labels: { version: 1.5, shared: true } },
  });
  assertEquals(errorsOf(r), [
    'metadata.labels["version"]: must be a string, got number 1.5',
    'metadata.labels["shared"]: must be a string, got boolean true',
  ]);
});

Deno.test("metadata keeps only the fields the gateway reads", () => {
  const r = validateResource({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: "team-a",
      labels: { team: "a" },
      resourceVersion: "12",
      generation: 1,
      managedFields: [{ manager: "kubectl" }],
      ownerReferences: [],
      annotations: {
        "kubectl.kubernetes.io/last-applied-configuration":
          '{"apiVersion":"v1","kind":"Namespace"}',
      },
    },
    status: { phase: "Active" },
  });
  assert(r.ok);
  assertEquals(r.value, {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "team-a", labels: { team: "a" }, resourceVersion: "12", generation: 1 },
  });
});

Deno.test("annotations are checked but not kept", () => {
  const namespace = (annotations: Record<string, unknown>) =>
    validateResource({ apiVersion: "v1", kind: "Namespace", metadata: { name: "a", annotations } });
  assertEquals(namespace({ "example.com/note": "kept out of the store" }).ok, true);
  assertEquals(namespace({ "bad key!": "x" }).ok, false);
});

Deno.test("a namespace given to a cluster-scoped kind is dropped", () => {
  const r = validateResource({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "GatewayClass",
    metadata: { name: "c", namespace: "default" },
    spec: { controllerName: "gateway.serval.dev/controller" },
  });
  assert(r.ok);
  assertEquals(r.value.metadata.namespace, undefined);
  assertEquals(isNamespacedKind("GatewayClass"), false);
  assertEquals(isNamespacedKind("HTTPRoute"), true);
});

Deno.test("errors are capped so garbage input costs bounded work", () => {
  const listeners = Array.from({ length: 100 }, () => ({ port: "x" }));
  const r = validateResource({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name: "g" },
    spec: { gatewayClassName: "c", listeners },
  });
  const errors = errorsOf(r);
  assertEquals(errors.length, 32);
  assertEquals(errors[0], "spec.listeners: must have at most 64 items, got 100");
});
