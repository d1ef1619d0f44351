/**
 * GatewayClass validation (`gateway.networking.k8s.io` v1 and v1beta1).
 * Whether the class names this controller is decided by `translate`.
 *
 * @example
 * ```ts
 * import { FieldChecker } from "./validate_fields.ts";
 * import { readGatewayClass } from "./validate_gateway_class.ts";
 * const c = new FieldChecker();
 * const head = { apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", metadata: { name: "serval" } };
 * readGatewayClass(c, { spec: { controllerName: "gateway.serval.dev/controller" } }, head);
 * c.failed; // false
 * ```
 * @module
 */
import type { GatewayClass } from "./gateway_types.ts";
import type { KubeObject } from "./object_meta.ts";
import { type FieldChecker, put } from "./validate_fields.ts";
import { GATEWAY_CONTROLLER, GROUP, KIND, NAMESPACE } from "./validate_rules.ts";

/** Reads a GatewayClass whose `apiVersion`, `kind` and `metadata` are already read. */
export function readGatewayClass(
  c: FieldChecker,
  raw: Record<string, unknown>,
  head: KubeObject,
): GatewayClass {
  const s = c.object(raw.spec, "spec", true) ?? {};
  const spec: GatewayClass["spec"] = {
    controllerName: c.string(s.controllerName, "spec.controllerName", GATEWAY_CONTROLLER) ?? "",
  };
  const p = c.object(s.parametersRef, "spec.parametersRef");
  if (p) {
    const f = "spec.parametersRef";
    const ref: NonNullable<GatewayClass["spec"]["parametersRef"]> = {
      group: c.string(p.group, `${f}.group`, { ...GROUP, required: true }) ?? "",
      kind: c.string(p.kind, `${f}.kind`, { ...KIND, required: true }) ?? "",
      name: c.string(p.name, `${f}.name`, { required: true, minLength: 1, maxLength: 253 }) ?? "",
    };
    put(ref, "namespace", c.string(p.namespace, `${f}.namespace`, NAMESPACE));
    spec.parametersRef = ref;
  }
  put(spec, "description", c.string(s.description, "spec.description", { maxLength: 64 }));
  const out: GatewayClass = { ...head, kind: "GatewayClass", spec };
  const status = c.object(raw.status, "status");
  if (status) out.status = status as GatewayClass["status"];
  return out;
}
