/**
 * BackendTLSPolicy (`gateway.networking.k8s.io` v1, v1alpha3) and ConfigMap
 * (core v1) validation: the shape the CRD and its CEL rules require. Whether
 * a CA reference resolves, or two policies conflict, is `translate`'s to say
 * in the policy's status.
 *
 * @example
 * ```ts
 * import { FieldChecker } from "./validate_fields.ts";
 * import { readBackendTLSPolicy } from "./validate_backend_tls_policy.ts";
 * const c = new FieldChecker();
 * const head = { apiVersion: "gateway.networking.k8s.io/v1", kind: "BackendTLSPolicy", metadata: { name: "p" } };
 * readBackendTLSPolicy(c, {
 *   spec: {
 *     targetRefs: [{ group: "", kind: "Service", name: "api" }],
 *     validation: { hostname: "api.example.com", wellKnownCACertificates: "System" },
 *   },
 * }, head).spec.validation.hostname; // "api.example.com"
 * ```
 * @module
 */
import type { ConfigMap } from "./core_types.ts";
import type { KubeObject } from "./object_meta.ts";
import type { BackendTLSPolicy, SubjectAltName } from "./policy_types.ts";
import { type FieldChecker, put } from "./validate_fields.ts";
import {
  GROUP,
  HOSTNAME,
  KIND,
  PRECISE_HOSTNAME,
  REQUIRED_OBJECT_NAME,
  SECTION_NAME,
} from "./validate_rules.ts";
import { POLICY_STATUS_LISTS, readStatus } from "./validate_status.ts";

const TARGETS = { required: true, minItems: 1, maxItems: 16 };
const CA_REFS = { maxItems: 8 };
const SANS = { maxItems: 5 };
const WELL_KNOWN = { minLength: 1, maxLength: 253 };
const URI = {
  minLength: 1,
  maxLength: 253,
  pattern: /^(([^:/?#]+):)(\/\/([^/?#]*))([^?#]*)(\?([^#]*))?(#(.*))?/,
  patternHint: "an absolute URI with a scheme and an authority",
};

/** Reads a BackendTLSPolicy whose `apiVersion`, `kind` and `metadata` are already read. */
export function readBackendTLSPolicy(
  c: FieldChecker,
  raw: Record<string, unknown>,
  head: KubeObject,
): BackendTLSPolicy {
  const s = c.object(raw.spec, "spec", true) ?? {};
  const targetRefs = c.listOf(s.targetRefs, "spec.targetRefs", TARGETS, (item, f) => {
    const o = c.object(item, f, true);
    if (!o) return undefined;
    const ref: BackendTLSPolicy["spec"]["targetRefs"][number] = {
      group: c.string(o.group, `${f}.group`, { ...GROUP, required: true }) ?? "",
      kind: c.string(o.kind, `${f}.kind`, { ...KIND, required: true }) ?? "",
      name: c.string(o.name, `${f}.name`, REQUIRED_OBJECT_NAME) ?? "",
    };
    put(ref, "sectionName", c.string(o.sectionName, `${f}.sectionName`, SECTION_NAME));
    return ref;
  }) ?? [];
  const v = c.object(s.validation, "spec.validation", true) ?? {};
  const validation: BackendTLSPolicy["spec"]["validation"] = {
    hostname: c.string(v.hostname, "spec.validation.hostname", {
      ...PRECISE_HOSTNAME,
      required: true,
    }) ?? "",
  };
  const refs = c.listOf(v.caCertificateRefs, "spec.validation.caCertificateRefs", CA_REFS, (
    item,
    f,
  ) => {
    const o = c.object(item, f, true);
    if (!o) return undefined;
    return {
      group: c.string(o.group, `${f}.group`, { ...GROUP, required: true }) ?? "",
      kind: c.string(o.kind, `${f}.kind`, { ...KIND, required: true }) ?? "",
      name: c.string(o.name, `${f}.name`, REQUIRED_OBJECT_NAME) ?? "",
    };
  });
  put(validation, "caCertificateRefs", refs);
  const wellKnown = c.string(
    v.wellKnownCACertificates,
    "spec.validation.wellKnownCACertificates",
    WELL_KNOWN,
  );
  put(validation, "wellKnownCACertificates", wellKnown);
  const hasRefs = (refs?.length ?? 0) > 0;
  if (hasRefs === (wellKnown !== undefined)) {
    c.error(
      "spec.validation",
      "must set exactly one of caCertificateRefs or wellKnownCACertificates",
    );
  }
  put(validation, "subjectAltNames", readSans(c, v.subjectAltNames));
  const spec: BackendTLSPolicy["spec"] = { targetRefs, validation };
  put(spec, "options", c.stringMap(s.options, "spec.options"));
  const out: BackendTLSPolicy = { ...head, kind: "BackendTLSPolicy", spec };
  // Kept so `translate` can tell which policies carry our entries to clear.
  const status = readStatus(c, raw.status, POLICY_STATUS_LISTS);
  if (status) out.status = status as BackendTLSPolicy["status"];
  return out;
}

function readSans(c: FieldChecker, value: unknown): SubjectAltName[] | undefined {
  return c.listOf(value, "spec.validation.subjectAltNames", SANS, (item, f) => {
    const o = c.object(item, f, true);
    if (!o) return undefined;
    const type = c.string(o.type, `${f}.type`, { required: true, oneOf: ["Hostname", "URI"] });
    if (type !== "Hostname" && type !== "URI") return undefined;
    const san: SubjectAltName = { type: type as SubjectAltName["type"] };
    if (type === "Hostname") {
      put(san, "hostname", c.string(o.hostname, `${f}.hostname`, { ...HOSTNAME, required: true }));
      if (o.uri !== undefined) c.error(`${f}.uri`, "must not be set when type is Hostname");
    } else {
      put(san, "uri", c.string(o.uri, `${f}.uri`, { ...URI, required: true }));
      if (o.hostname !== undefined) c.error(`${f}.hostname`, "must not be set when type is URI");
    }
    return san;
  });
}

/** Reads a ConfigMap (its `data` only) whose head is already read. */
export function readConfigMap(
  c: FieldChecker,
  raw: Record<string, unknown>,
  head: KubeObject,
): ConfigMap {
  const out: ConfigMap = { ...head, kind: "ConfigMap" };
  put(out, "data", c.stringMap(raw.data, "data"));
  return out;
}
