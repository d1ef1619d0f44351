/**
 * GRPCRoute validation (`gateway.networking.k8s.io` v1): the CRD's limits
 * (16 rules, 64 matches a rule and 128 a route, 16 filters, 16 backends, 16
 * headers a match), its method-match rules (one of service and method set;
 * `Exact` values made of gRPC name characters) and its filter types
 * (RequestHeaderModifier, ResponseHeaderModifier, RequestMirror,
 * ExtensionRef). Regular expression validity and unresolvable backends are
 * left to `translate`, which reports them as conditions.
 *
 * @example
 * ```ts
 * import { FieldChecker } from "./validate_fields.ts";
 * import { readGRPCRoute } from "./validate_grpc_route.ts";
 * const c = new FieldChecker();
 * const head = { apiVersion: "gateway.networking.k8s.io/v1", kind: "GRPCRoute", metadata: { name: "r" } };
 * readGRPCRoute(c, { spec: { rules: [{ matches: [{ method: { type: "Exact" } }] }] } }, head);
 * c.errors[0].field; // "spec.rules[0].matches[0].method"
 * ```
 * @module
 */
import type {
  GRPCBackendRef,
  GRPCHeaderMatch,
  GRPCMethodMatch,
  GRPCRoute,
  GRPCRouteFilter,
  GRPCRouteMatch,
  GRPCRouteRule,
} from "./grpc_route_types.ts";
import type { KubeObject } from "./object_meta.ts";
import { type FieldChecker, put } from "./validate_fields.ts";
import { readFilters } from "./validate_http_filter.ts";
import { readBackendRef, readParentRefs } from "./validate_references.ts";
import { HEADER_NAME, HOSTNAME, SECTION_NAME } from "./validate_rules.ts";
import { readStatus, ROUTE_STATUS_LISTS } from "./validate_status.ts";

const MATCH_TYPES = ["Exact", "RegularExpression"] as const;
/** The CRD's enum of GRPCRoute filter types. */
const GRPC_FILTER_TYPES = new Set([
  "RequestHeaderModifier",
  "ResponseHeaderModifier",
  "RequestMirror",
  "ExtensionRef",
]);
const SERVICE_CHARS = /^\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$/i;
const METHOD_CHARS = /^[A-Za-z_][A-Za-z_0-9]*$/;

function readMethod(c: FieldChecker, raw: unknown, field: string): GRPCMethodMatch | undefined {
  const o = c.object(raw, field);
  if (!o) return undefined;
  const method: GRPCMethodMatch = {};
  const type = c.string(o.type, `${field}.type`, { oneOf: MATCH_TYPES });
  put(method, "type", type as GRPCMethodMatch["type"]);
  put(method, "service", c.string(o.service, `${field}.service`, { maxLength: 1024 }));
  put(method, "method", c.string(o.method, `${field}.method`, { maxLength: 1024 }));
  if (!method.service && !method.method) {
    c.error(field, "must set one or both of service and method");
  }
  if ((type ?? "Exact") === "Exact") {
    if (method.service && !SERVICE_CHARS.test(method.service)) {
      c.error(
        `${field}.service`,
        `must be a dotted gRPC service name (letters, digits and '_'), got ${
          JSON.stringify(method.service)
        }`,
      );
    }
    if (method.method && !METHOD_CHARS.test(method.method)) {
      c.error(
        `${field}.method`,
        `must be a gRPC method name (letters, digits and '_'), got ${
          JSON.stringify(method.method)
        }`,
      );
    }
  }
  return method;
}

function readHeaders(c: FieldChecker, raw: unknown, field: string): GRPCHeaderMatch[] | undefined {
  const list = c.listOf(raw, field, { maxItems: 16 }, (item, f) => {
    const o = c.object(item, f, true);
    if (!o) return undefined;
    const m: GRPCHeaderMatch = {
      name: c.string(o.name, `${f}.name`, HEADER_NAME) ?? "",
      value: c.string(o.value, `${f}.value`, { required: true, minLength: 1, maxLength: 4096 }) ??
        "",
    };
    put(
      m,
      "type",
      c.string(o.type, `${f}.type`, { oneOf: MATCH_TYPES }) as GRPCHeaderMatch["type"],
    );
    return m;
  });
  c.unique(list, field, (m) => m.name.toLowerCase() || undefined, "header name");
  return list;
}

function readMatch(c: FieldChecker, raw: unknown, field: string): GRPCRouteMatch | undefined {
  const o = c.object(raw, field, true);
  if (!o) return undefined;
  const match: GRPCRouteMatch = {};
  put(match, "method", readMethod(c, o.method, `${field}.method`));
  put(match, "headers", readHeaders(c, o.headers, `${field}.headers`));
  return match;
}

function readGrpcFilters(
  c: FieldChecker,
  raw: unknown,
  field: string,
): GRPCRouteFilter[] | undefined {
  const filters = readFilters(c, raw, field);
  filters?.forEach((f, i) => {
    if (f.type !== "" && !GRPC_FILTER_TYPES.has(f.type)) {
      c.error(
        `${field}[${i}].type`,
        `must be one of ${[...GRPC_FILTER_TYPES].join(", ")} in a GRPCRoute, got ${
          JSON.stringify(f.type)
        }`,
      );
    }
  });
  return filters as GRPCRouteFilter[] | undefined;
}

function readBackend(c: FieldChecker, raw: unknown, field: string): GRPCBackendRef | undefined {
  const ref: GRPCBackendRef | undefined = readBackendRef(c, raw, field);
  if (!ref) return undefined;
  const o = raw as Record<string, unknown>;
  put(ref, "weight", c.integer(o.weight, `${field}.weight`, { min: 0, max: 1_000_000 }));
  put(ref, "filters", readGrpcFilters(c, o.filters, `${field}.filters`));
  return ref;
}

function readRule(c: FieldChecker, raw: unknown, field: string): GRPCRouteRule | undefined {
  const o = c.object(raw, field, true);
  if (!o) return undefined;
  const rule: GRPCRouteRule = {};
  put(rule, "name", c.string(o.name, `${field}.name`, SECTION_NAME));
  put(
    rule,
    "matches",
    c.listOf(o.matches, `${field}.matches`, { maxItems: 64 }, (m, f) => readMatch(c, m, f)),
  );
  put(rule, "filters", readGrpcFilters(c, o.filters, `${field}.filters`));
  put(
    rule,
    "backendRefs",
    c.listOf(
      o.backendRefs,
      `${field}.backendRefs`,
      { maxItems: 16 },
      (b, f) => readBackend(c, b, f),
    ),
  );
  return rule;
}

/** Reads a GRPCRoute whose `apiVersion`, `kind` and `metadata` are already read. */
export function readGRPCRoute(
  c: FieldChecker,
  raw: Record<string, unknown>,
  head: KubeObject,
): GRPCRoute {
  const s = c.object(raw.spec, "spec", true) ?? {};
  const spec: GRPCRoute["spec"] = {};
  put(spec, "parentRefs", readParentRefs(c, s));
  put(spec, "hostnames", c.stringList(s.hostnames, "spec.hostnames", { maxItems: 16 }, HOSTNAME));
  const rules = c.listOf(s.rules, "spec.rules", { maxItems: 16 }, (r, f) => readRule(c, r, f));
  put(spec, "rules", rules);
  if (rules) {
    c.unique(rules, "spec.rules", (r) => r.name, "rule name");
    let total = 0;
    for (const r of rules) total += r.matches?.length ?? 1;
    if (total > 128) {
      c.error("spec.rules", `must have at most 128 matches in all rules, got ${total}`);
    }
  }
  const out: GRPCRoute = { ...head, kind: "GRPCRoute", spec };
  const status = readStatus(c, raw.status, ROUTE_STATUS_LISTS);
  if (status) out.status = status as GRPCRoute["status"];
  return out;
}
