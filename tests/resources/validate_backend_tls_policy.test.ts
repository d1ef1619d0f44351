import { assert, assertEquals } from "@std/assert";
import { validateResource } from "../../src/resources/validate.ts";
import { errorsOf } from "./_validation_errors.ts";

function policy(validation: Record<string, unknown>, targetRefs: unknown = [
  { group: "", kind: "Service", name: "api", sectionName: "https" },
]) {
  return validateResource({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "BackendTLSPolicy",
    metadata: { name: "p", namespace: "app" },
    spec: { targetRefs, validation },
  });
}

const CA = { caCertificateRefs: [{ group: "", kind: "ConfigMap", name: "ca" }] };

Deno.test("a valid BackendTLSPolicy keeps its targets, CA references and subjectAltNames", () => {
  const r = policy({
    ...CA,
    hostname: "api.example.com",
    subjectAltNames: [
      { type: "Hostname", hostname: "*.internal.example.com" },
      { type: "URI", uri: "spiffe://cluster.local/ns/app/sa/api" },
    ],
  });
  assert(r.ok);
  assert(r.value.kind === "BackendTLSPolicy");
  assertEquals(r.value.spec.targetRefs[0].sectionName, "https");
  assertEquals(r.value.spec.validation.caCertificateRefs?.[0].name, "ca");
  assertEquals(r.value.spec.validation.subjectAltNames?.length, 2);
});

Deno.test("BackendTLSPolicy: exactly one of caCertificateRefs and wellKnownCACertificates", () => {
  assertEquals(errorsOf(policy({ hostname: "a.example.com" })), [
    "spec.validation: must set exactly one of caCertificateRefs or wellKnownCACertificates",
  ]);
  assertEquals(
    errorsOf(policy({ ...CA, wellKnownCACertificates: "System", hostname: "a.example.com" })),
    ["spec.validation: must set exactly one of caCertificateRefs or wellKnownCACertificates"],
  );
  assert(policy({ wellKnownCACertificates: "System", hostname: "a.example.com" }).ok);
});

Deno.test("BackendTLSPolicy: hostname is required and precise; targets are required", () => {
  assertEquals(errorsOf(policy({ ...CA })).length, 1);
  assertEquals(errorsOf(policy({ ...CA, hostname: "*.example.com" })).length, 1);
  assertEquals(errorsOf(policy({ ...CA, hostname: "a.example.com" }, [])).length, 1);
});

Deno.test("BackendTLSPolicy: a subjectAltName carries exactly the field its type names", () => {
  const errors = errorsOf(policy({
    ...CA,
    hostname: "a.example.com",
    subjectAltNames: [
      { type: "Hostname", uri: "spiffe://x/y" },
      { type: "URI", hostname: "a.example.com" },
      { type: "Email", hostname: "a.example.com" },
    ],
  }));
  assertEquals(errors.length, 5, errors.join("\n"));
  assert(errors.some((e) => e.includes("subjectAltNames[0].uri: must not be set")));
  assert(errors.some((e) => e.includes("subjectAltNames[1].hostname: must not be set")));
  assert(errors.some((e) => e.includes("subjectAltNames[2].type: must be one of Hostname, URI")));
});
