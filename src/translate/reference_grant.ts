/**
 * ReferenceGrant checks: a reference from an object in one namespace to an
 * object in another is allowed only when a ReferenceGrant in the *target*
 * namespace lists the source (group, kind, namespace) in `from` and the target
 * (group, kind, optional name) in `to`.
 * @module
 */
import type { ReferenceGrant } from "../resources/policy_types.ts";

/** The referring side. */
export interface ReferenceFrom {
  group: string;
  kind: string;
  namespace: string;
}

/** The referred side. */
export interface ReferenceTo {
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

/**
 * Whether the reference `from` → `to` is allowed. Same-namespace references
 * are always allowed.
 *
 * @example
 * ```ts
 * import { isReferenceAllowed } from "./reference_grant.ts";
 * isReferenceAllowed([], { group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "a" },
 *   { group: "", kind: "Service", namespace: "a", name: "web" }); // true
 * ```
 */
export function isReferenceAllowed(
  grants: readonly ReferenceGrant[],
  from: ReferenceFrom,
  to: ReferenceTo,
): boolean {
  if (from.namespace === to.namespace) return true;
  return grants.some((grant) =>
    grant.metadata.namespace === to.namespace &&
    (grant.spec.from ?? []).some((f) =>
      (f.group ?? "") === from.group && f.kind === from.kind && f.namespace === from.namespace
    ) &&
    (grant.spec.to ?? []).some((t) =>
      (t.group ?? "") === to.group && t.kind === to.kind &&
      (t.name === undefined || t.name === "" || t.name === to.name)
    )
  );
}
