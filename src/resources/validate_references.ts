/**
 * Readers for the reference and selector types several kinds share:
 * `ParentReference`, `BackendObjectReference`, `SecretObjectReference`,
 * `LocalObjectReference` and `metav1.LabelSelector`. Whether a reference
 * resolves (or is allowed across namespaces) is `translate`'s concern; these
 * only check the shape.
 *
 * @example
 * ```ts
 * import { FieldChecker } from "./validate_fields.ts";
 * import { readBackendRef } from "./validate_references.ts";
 * const c = new FieldChecker();
 * readBackendRef(c, { name: "web" }, "spec.rules[0].backendRefs[0]");
 * c.errors[0].message; // "is required for a Service reference"
 * ```
 * @module
 */
import type {
  LabelSelector,
  LabelSelectorRequirement,
  SecretObjectReference,
} from "./gateway_types.ts";
import type {
  BackendObjectReference,
  LocalObjectReference,
  ParentReference,
} from "./route_types.ts";
import { type FieldChecker, put } from "./validate_fields.ts";
import {
  GROUP,
  KIND,
  LABEL_KEY,
  LABEL_VALUE,
  NAMESPACE,
  OBJECT_NAME,
  PORT,
  REQUIRED_OBJECT_NAME,
  SECTION_NAME,
} from "./validate_rules.ts";

/** Reads a route's `spec.parentRefs` (at most 32) from its raw `spec`. */
export function readParentRefs(
  c: FieldChecker,
  spec: Record<string, unknown>,
): ParentReference[] | undefined {
  return c.listOf(
    spec.parentRefs,
    "spec.parentRefs",
    { maxItems: 32 },
    (p, f) => readParentRef(c, p, f),
  );
}

/** Reads a `ParentReference`. */
export function readParentRef(
  c: FieldChecker,
  raw: unknown,
  field: string,
): ParentReference | undefined {
  const o = c.object(raw, field, true);
  if (!o) return undefined;
  const ref: ParentReference = {
    name: c.string(o.name, `${field}.name`, REQUIRED_OBJECT_NAME) ?? "",
  };
  put(ref, "group", c.string(o.group, `${field}.group`, GROUP));
  put(ref, "kind", c.string(o.kind, `${field}.kind`, KIND));
  put(ref, "namespace", c.string(o.namespace, `${field}.namespace`, NAMESPACE));
  put(ref, "sectionName", c.string(o.sectionName, `${field}.sectionName`, SECTION_NAME));
  put(ref, "port", c.integer(o.port, `${field}.port`, PORT));
  return ref;
}

/**
 * Reads a `BackendObjectReference`. The CRD requires `port` when the
 * reference is to a core Service (the default group and kind).
 */
export function readBackendRef(
  c: FieldChecker,
  raw: unknown,
  field: string,
): BackendObjectReference | undefined {
  const o = c.object(raw, field, true);
  if (!o) return undefined;
  const ref: BackendObjectReference = {
    name: c.string(o.name, `${field}.name`, REQUIRED_OBJECT_NAME) ?? "",
  };
  put(ref, "group", c.string(o.group, `${field}.group`, GROUP));
  put(ref, "kind", c.string(o.kind, `${field}.kind`, KIND));
  put(ref, "namespace", c.string(o.namespace, `${field}.namespace`, NAMESPACE));
  put(ref, "port", c.integer(o.port, `${field}.port`, PORT));
  if ((ref.group ?? "") === "" && (ref.kind ?? "Service") === "Service" && o.port == null) {
    c.error(`${field}.port`, "is required for a Service reference");
  }
  return ref;
}

/** Reads a `SecretObjectReference`. */
export function readSecretRef(
  c: FieldChecker,
  raw: unknown,
  field: string,
): SecretObjectReference | undefined {
  const o = c.object(raw, field, true);
  if (!o) return undefined;
  const ref: SecretObjectReference = {
    name: c.string(o.name, `${field}.name`, REQUIRED_OBJECT_NAME) ?? "",
  };
  put(ref, "group", c.string(o.group, `${field}.group`, GROUP));
  put(ref, "kind", c.string(o.kind, `${field}.kind`, KIND));
  put(ref, "namespace", c.string(o.namespace, `${field}.namespace`, NAMESPACE));
  return ref;
}

/** Reads a `LocalObjectReference` (group, kind and name all required). */
export function readLocalRef(
  c: FieldChecker,
  raw: unknown,
  field: string,
): LocalObjectReference | undefined {
  const o = c.object(raw, field, true);
  if (!o) return undefined;
  return {
    group: c.string(o.group, `${field}.group`, { ...GROUP, required: true }) ?? "",
    kind: c.string(o.kind, `${field}.kind`, { ...KIND, required: true }) ?? "",
    name: c.string(o.name, `${field}.name`, { ...OBJECT_NAME, required: true }) ?? "",
  };
}

const OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"] as const;

/**
 * Reads a `metav1.LabelSelector`. As the API server does, `In`/`NotIn` need
 * at least one value and `Exists`/`DoesNotExist` must have none.
 */
export function readLabelSelector(
  c: FieldChecker,
  raw: unknown,
  field: string,
): LabelSelector | undefined {
  const o = c.object(raw, field);
  if (!o) return undefined;
  const selector: LabelSelector = {};
  put(
    selector,
    "matchLabels",
    c.stringMap(o.matchLabels, `${field}.matchLabels`, LABEL_KEY, LABEL_VALUE),
  );
  put(
    selector,
    "matchExpressions",
    c.listOf(o.matchExpressions, `${field}.matchExpressions`, {}, (item, f) => {
      const e = c.object(item, f, true);
      if (!e) return undefined;
      const req: LabelSelectorRequirement = {
        key: c.string(e.key, `${f}.key`, { ...LABEL_KEY, required: true }) ?? "",
        operator: c.string(e.operator, `${f}.operator`, { required: true, oneOf: OPERATORS }) as
          | LabelSelectorRequirement["operator"]
          | undefined ?? "In",
      };
      const values = c.stringList(e.values, `${f}.values`, {}, LABEL_VALUE);
      put(req, "values", values);
      const count = values?.length ?? 0;
      if ((req.operator === "In" || req.operator === "NotIn") && count === 0) {
        c.error(`${f}.values`, `must not be empty for operator ${req.operator}`);
      }
      if ((req.operator === "Exists" || req.operator === "DoesNotExist") && count > 0) {
        c.error(`${f}.values`, `must be empty for operator ${req.operator}`);
      }
      return req;
    }),
  );
  return selector;
}
