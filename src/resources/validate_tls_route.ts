/**
 * TLSRoute validation (`gateway.networking.k8s.io` v1, v1alpha3 and
 * v1alpha2): the CRD's limits (1 to 1024 hostnames, which may not be IP
 * addresses; exactly one rule of 1 to 16 backendRefs with weights up to one
 * million). Unknown parents and unresolvable backends are left to
 * `translate`, which reports them as conditions.
 *
 * @example
 * ```ts
 * import { FieldChecker } from "./validate_fields.ts";
 * import { readTLSRoute } from "./validate_tls_route.ts";
 * const c = new FieldChecker();
 * const head = { apiVersion: "gateway.networking.k8s.io/v1", kind: "TLSRoute", metadata: { name: "r" } };
 * readTLSRoute(c, { spec: { hostnames: ["10.0.0.1"], rules: [{ backendRefs: [{ name: "s", port: 443 }] }] } }, head);
 * c.errors[0].field; // "spec.hostnames[0]"
 * ```
 * @module
 */
import type { KubeObject } from "./object_meta.ts";
import type { TLSBackendRef, TLSRoute, TLSRouteRule } from "./tls_route_types.ts";
import { type FieldChecker, put } from "./validate_fields.ts";
import { readBackendRef, readParentRefs } from "./validate_references.ts";
import { HOSTNAME, SECTION_NAME } from "./validate_rules.ts";
import { readStatus, ROUTE_STATUS_LISTS } from "./validate_status.ts";

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function readRule(c: FieldChecker, raw: unknown, field: string): TLSRouteRule | undefined {
  const o = c.object(raw, field, true);
  if (!o) return undefined;
  const rule: TLSRouteRule = {};
  put(rule, "name", c.string(o.name, `${field}.name`, SECTION_NAME));
  put(
    rule,
    "backendRefs",
    c.listOf(
      o.backendRefs,
      `${field}.backendRefs`,
      { required: true, minItems: 1, maxItems: 16 },
      (r, f) => {
        const ref: TLSBackendRef | undefined = readBackendRef(c, r, f);
        if (!ref) return undefined;
        const weight = (r as Record<string, unknown>).weight;
        put(ref, "weight", c.integer(weight, `${f}.weight`, { min: 0, max: 1_000_000 }));
        return ref;
      },
    ),
  );
  return rule;
}

/** Reads a TLSRoute; errors go to `c`. */
export function readTLSRoute(
  c: FieldChecker,
  raw: Record<string, unknown>,
  head: KubeObject,
): TLSRoute {
  const s = c.object(raw.spec, "spec", true) ?? {};
  const spec: TLSRoute["spec"] = {};
  put(spec, "parentRefs", readParentRefs(c, s));
  const hostnames = c.stringList(
    s.hostnames,
    "spec.hostnames",
    { required: true, minItems: 1, maxItems: 1024 },
    HOSTNAME,
  );
  hostnames?.forEach((h, i) => {
    if (IPV4.test(h)) c.error(`spec.hostnames[${i}]`, `must not be an IP address, got "${h}"`);
  });
  put(spec, "hostnames", hostnames);
  put(
    spec,
    "rules",
    c.listOf(
      s.rules,
      "spec.rules",
      { required: true, minItems: 1, maxItems: 1 },
      (r, f) => readRule(c, r, f),
    ),
  );
  const out: TLSRoute = { ...head, kind: "TLSRoute", spec };
  const status = readStatus(c, raw.status, ROUTE_STATUS_LISTS);
  if (status) out.status = status as TLSRoute["status"];
  return out;
}
