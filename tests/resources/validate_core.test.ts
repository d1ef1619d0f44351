import { assert, assertEquals } from "@std/assert";
import { validateResource } from "../../src/resources/validate.ts";
import { errorsOf } from "./_validation_errors.ts";

const meta = { name: "web", namespace: "default" };

Deno.test("Service ports: range, protocol, names required and unique when several", () => {
  const svc = (spec: unknown) =>
    validateResource({ apiVersion: "v1", kind: "Service", metadata: meta, spec });
  assert(svc({ ports: [{ port: 80, targetPort: "http" }], selector: { app: "web" } }).ok);
  assertEquals(errorsOf(svc({ ports: [{ port: 0 }] })), [
    "spec.ports[0].port: must be between 1 and 65535, got 0",
  ]);
  assertEquals(
    errorsOf(svc({ ports: [{ port: 80, name: "a" }, { port: 81 }, { port: 82, name: "a" }] })),
    [
      "spec.ports[1].name: is required when the Service has more than one port",
      'spec.ports[2]: must be unique: port name "a" appears more than once',
    ],
  );
  assertEquals(errorsOf(svc({ ports: [{ port: 80, protocol: "HTTP", targetPort: "Web_Port" }] })), [
    'spec.ports[0].protocol: must be one of TCP, UDP, SCTP; got "HTTP"',
    "spec.ports[0].targetPort: must be a port number or an IANA service name (at most 15 lower-case letters, digits and '-'), got \"Web_Port\"",
  ]);
  assertEquals(errorsOf(svc({ type: "ExternalName" })), [
    "spec.externalName: is required when type is ExternalName",
  ]);
  assert(svc({ type: "ExternalName", externalName: "db.example.com." }).ok);
});

Deno.test("Service names are RFC 1035 labels", () => {
  const r = validateResource({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "1web" },
    spec: {},
  });
  assertEquals(errorsOf(r), [
    "metadata.name: must be a lower-case RFC 1035 label (starts with a letter; letters, digits and '-'), got \"1web\"",
  ]);
});

Deno.test("EndpointSlice: addressType, addresses per type, conditions and ports", () => {
  const slice = (body: Record<string, unknown>) =>
    validateResource({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { ...meta, name: "web-abc", labels: { "kubernetes.io/service-name": "web" } },
      ...body,
    });
  const ok = slice({
    addressType: "IPv4",
    endpoints: [{ addresses: ["10.0.0.1"], conditions: { ready: true } }],
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
  });
  assert(ok.ok, JSON.stringify(ok));
  assert(
    slice({ addressType: "IPv6", endpoints: [{ addresses: ["fd00::1", "::ffff:10.0.0.1"] }] }).ok,
  );
  assertEquals(errorsOf(slice({ endpoints: [] })), ["addressType: is required"]);
  assertEquals(
    errorsOf(slice({
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.0.0.300"], conditions: { ready: "yes" } }, { addresses: [] }],
      ports: [{ port: 70000 }],
    })),
    [
      'endpoints[0].addresses[0]: must be an IPv4 address, got "10.0.0.300"',
      'endpoints[0].conditions.ready: must be true or false, got string "yes"',
      "endpoints[1].addresses: must have at least 1 item",
      "ports[0].port: must be between 1 and 65535, got 70000",
    ],
  );
});

Deno.test("Secret stringData is folded into data as base64, overriding data", () => {
  const r = validateResource({
    apiVersion: "v1",
    kind: "Secret",
    metadata: meta,
    type: "Opaque",
    data: { a: "b2xk", b: "Yg==" },
    stringData: { a: "new", c: "é" },
  });
  assert(r.ok && r.value.kind === "Secret");
  assertEquals(r.value.data, { a: "bmV3", b: "Yg==", c: "w6k=" });
  assertEquals(r.value.stringData, undefined);
});

Deno.test("Secret data must be base64 and TLS secrets need tls.crt and tls.key", () => {
  const secret = (body: Record<string, unknown>) =>
    validateResource({ apiVersion: "v1", kind: "Secret", metadata: meta, ...body });
  assertEquals(errorsOf(secret({ data: { key: "not base64!" } })), [
    'data["key"]: must be base64-encoded (use stringData for plain text)',
  ]);
  assertEquals(errorsOf(secret({ type: "kubernetes.io/tls", stringData: { "tls.crt": "x" } })), [
    'data["tls.key"]: is required for a kubernetes.io/tls Secret',
  ]);
  // Multi-line base64 from YAML block scalars is accepted, whitespace removed.
  const r = secret({ data: { k: "YWJj\nZGVm\n" } });
  assert(r.ok && r.value.kind === "Secret");
  assertEquals(r.value.data, { k: "YWJjZGVm" });
});

Deno.test("ReferenceGrant needs from and to entries with group and kind", () => {
  const grant = (spec: unknown, apiVersion = "gateway.networking.k8s.io/v1beta1") =>
    validateResource({ apiVersion, kind: "ReferenceGrant", metadata: meta, spec });
  const spec = {
    from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "apps" }],
    to: [{ group: "", kind: "Service", name: "web" }],
  };
  assert(grant(spec).ok);
  assert(grant(spec, "gateway.networking.k8s.io/v1").ok);
  assertEquals(errorsOf(grant({ from: [{ kind: "HTTPRoute" }], to: [] })), [
    "spec.from[0].group: is required",
    "spec.from[0].namespace: is required",
    "spec.to: must have at least 1 item",
  ]);
});

Deno.test("Namespace names are RFC 1123 labels", () => {
  assert(validateResource({ apiVersion: "v1", kind: "Namespace", metadata: { name: "apps" } }).ok);
  assertEquals(
    errorsOf(validateResource({ apiVersion: "v1", kind: "Namespace", metadata: { name: "a.b" } })),
    [
      "metadata.name: must be a lower-case RFC 1123 label (letters, digits and '-'), got \"a.b\"",
    ],
  );
});
