/**
 * ReferenceGrant validation (`gateway.networking.k8s.io` v1beta1 and v1).
 * Which references a grant allows is evaluated by `translate`.
 *
 * @example
 * ```ts
 * import { FieldChecker } from "./validate_fields.ts";
 * import { readReferenceGrant } from "./validate_reference_grant.ts";
 * const c = new FieldChecker();
 * const head = { apiVersion: "gateway.networking.k8s.io/v1beta1", kind: "ReferenceGrant", metadata: { name: "g" } };
 * readReferenceGrant(c, { spec: { from: [], to: [{ group: "", kind: "Service" }] } }, head);
 * c.errors[0]; // { field: "spec.from", message: "must have at least 1 item" }
 * ```
 * @module
 */
import type { KubeObject } from "./object_meta.ts";
import type { ReferenceGrant } from "./policy_types.ts";
import { type FieldChecker, put } from "./validate_fields.ts";
import { GROUP, KIND, NAMESPACE, OBJECT_NAME } from "./validate_rules.ts";

const LIMITS = { required: true, minItems: 1, maxItems: 16 };

/** Reads a ReferenceGrant whose `apiVersion`, `kind` and `metadata` are already read. */
export function readReferenceGrant(
  c: FieldChecker,
  raw: Record<string, unknown>,
  head: KubeObject,
): ReferenceGrant {
  const s = c.object(raw.spec, "spec", true) ?? {};
  const from = c.listOf(s.from, "spec.from", LIMITS, (item, f) => {
    const o = c.object(item, f, true);
    if (!o) return undefined;
    return {
      group: c.string(o.group, `${f}.group`, { ...GROUP, required: true }) ?? "",
      kind: c.string(o.kind, `${f}.kind`, { ...KIND, required: true }) ?? "",
      namespace: c.string(o.namespace, `${f}.namespace`, { ...NAMESPACE, required: true }) ?? "",
    };
  }) ?? [];
  const to = c.listOf(s.to, "spec.to", LIMITS, (item, f) => {
    const o = c.object(item, f, true);
    if (!o) return undefined;
    const target: ReferenceGrant["spec"]["to"][number] = {
      group: c.string(o.group, `${f}.group`, { ...GROUP, required: true }) ?? "",
      kind: c.string(o.kind, `${f}.kind`, { ...KIND, required: true }) ?? "",
    };
    put(target, "name", c.string(o.name, `${f}.name`, OBJECT_NAME));
    return target;
  }) ?? [];
  return { ...head, kind: "ReferenceGrant", spec: { from, to } };
}
