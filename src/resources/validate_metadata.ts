/**
 * `metadata` validation shared by every kind. Only the fields the gateway
 * uses are kept: `managedFields`, `ownerReferences`, annotations and the like are dropped,
 * which keeps the store small and its change comparison cheap.
 *
 * @example
 * ```ts
 * import { FieldChecker } from "./validate_fields.ts";
 * import { readMetadata } from "./validate_metadata.ts";
 * import { DNS_SUBDOMAIN_NAME } from "./validate_rules.ts";
 * const c = new FieldChecker();
 * readMetadata(c, { name: "web", namespace: "prod" }, DNS_SUBDOMAIN_NAME, true);
 * // { name: "web", namespace: "prod" }
 * ```
 * @module
 */
import type { ObjectMeta } from "./object_meta.ts";
import { type FieldChecker, put, type StringRule } from "./validate_fields.ts";
import { LABEL_KEY, LABEL_VALUE, NAMESPACE } from "./validate_rules.ts";

/**
 * Reads `metadata`. `namespaced` false drops a namespace given for a
 * cluster-scoped kind, as the API server ignores it there.
 */
export function readMetadata(
  c: FieldChecker,
  raw: unknown,
  nameRule: StringRule,
  namespaced: boolean,
): ObjectMeta {
  const m = c.object(raw, "metadata", true) ?? {};
  const meta: ObjectMeta = { name: c.string(m.name, "metadata.name", nameRule) ?? "" };
  if (namespaced) put(meta, "namespace", c.string(m.namespace, "metadata.namespace", NAMESPACE));
  put(meta, "uid", c.string(m.uid, "metadata.uid"));
  put(meta, "resourceVersion", c.string(m.resourceVersion, "metadata.resourceVersion"));
  put(meta, "generation", c.integer(m.generation, "metadata.generation", { min: 0 }));
  put(meta, "creationTimestamp", c.string(m.creationTimestamp, "metadata.creationTimestamp"));
  put(meta, "labels", c.stringMap(m.labels, "metadata.labels", LABEL_KEY, LABEL_VALUE));
  // Checked, not kept: nothing reads them, and `kubectl apply` stores a copy of
  // the whole object in one (last-applied-configuration), which would double
  // what the store holds per object.
  c.stringMap(m.annotations, "metadata.annotations", LABEL_KEY);
  return meta;
}
