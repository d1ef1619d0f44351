/**
 * ListenerSet validation (`gateway.networking.k8s.io/v1`): a parent Gateway
 * reference and 1 to 64 listeners with the CRD's admission rules, which are
 * a Gateway listener's plus one more: within one set, no two listeners may
 * share port, protocol and hostname. Whether the parent admits the set, and
 * conflicts with the parent's or other sets' listeners, are `translate`'s
 * (status conditions, not refusals).
 *
 * @example
 * ```ts
 * import { FieldChecker } from "./validate_fields.ts";
 * import { readListenerSet } from "./validate_listener_set.ts";
 * const c = new FieldChecker();
 * const head = { apiVersion: "gateway.networking.k8s.io/v1", kind: "ListenerSet", metadata: { name: "ls" } };
 * readListenerSet(c, { spec: { parentRef: { name: "gw" }, listeners: [] } }, head);
 * c.errors[0].field; // "spec.listeners"
 * ```
 * @module
 */
import type { ListenerSet, ParentGatewayReference } from "./listener_set_types.ts";
import type { KubeObject } from "./object_meta.ts";
import { type FieldChecker, put } from "./validate_fields.ts";
import { readListeners } from "./validate_gateway.ts";
import { GROUP, KIND, NAMESPACE, REQUIRED_OBJECT_NAME } from "./validate_rules.ts";
import { readStatus } from "./validate_status.ts";

function readParentRef(c: FieldChecker, raw: unknown): ParentGatewayReference {
  const field = "spec.parentRef";
  const o = c.object(raw, field, true);
  if (!o) return { name: "" };
  const ref: ParentGatewayReference = {
    name: c.string(o.name, `${field}.name`, REQUIRED_OBJECT_NAME) ?? "",
  };
  put(ref, "group", c.string(o.group, `${field}.group`, GROUP));
  put(ref, "kind", c.string(o.kind, `${field}.kind`, KIND));
  put(ref, "namespace", c.string(o.namespace, `${field}.namespace`, NAMESPACE));
  return ref;
}

/** Reads a ListenerSet whose `apiVersion`, `kind` and `metadata` are already read. */
export function readListenerSet(
  c: FieldChecker,
  raw: Record<string, unknown>,
  head: KubeObject,
): ListenerSet {
  const s = c.object(raw.spec, "spec", true) ?? {};
  const parentRef = readParentRef(c, s.parentRef);
  const listeners = readListeners(c, s.listeners);
  c.unique(
    listeners,
    "spec.listeners",
    (l) => `${l.port} ${l.protocol} ${l.hostname ?? "(any hostname)"}`,
    "port, protocol and hostname",
  );
  const out: ListenerSet = { ...head, kind: "ListenerSet", spec: { parentRef, listeners } };
  const status = readStatus(c, raw.status, {});
  if (status) out.status = status as ListenerSet["status"];
  return out;
}
