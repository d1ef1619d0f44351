/**
 * HTTPRoute validation (`gateway.networking.k8s.io` v1 and v1beta1): the
 * CRD's limits (16 rules, 64 matches a rule and 128 a route, 16 filters, 16
 * backends, 16 headers and query parameters a match), path values that are
 * clean absolute paths for `Exact`/`PathPrefix`, and the rule-level admission
 * rules on redirects and prefix rewrites. CRD defaults count where a rule
 * depends on them (an absent match is `PathPrefix /`). Regular expression
 * validity, unknown parents and unresolvable backends are left to `translate`,
 * which reports them as conditions.
 *
 * @example
 * ```ts
 * import { FieldChecker } from "./validate_fields.ts";
 * import { readHTTPRoute } from "./validate_http_route.ts";
 * const c = new FieldChecker();
 * const head = { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "r" } };
 * readHTTPRoute(c, { spec: { rules: [{ matches: [{ path: { value: "foo" } }] }] } }, head);
 * c.errors[0].field; // "spec.rules[0].matches[0].path.value"
 * ```
 * @module
 */
import { parseGatewayDuration } from "./duration.ts";
import type {
  HTTPBackendRef,
  HTTPHeaderMatch,
  HTTPMethod,
  HTTPPathMatch,
  HTTPQueryParamMatch,
  HTTPRoute,
  HTTPRouteFilter,
  HTTPRouteMatch,
  HTTPRouteRule,
  HTTPRouteTimeouts,
} from "./http_route_types.ts";
import type { KubeObject } from "./object_meta.ts";
import { type FieldChecker, put } from "./validate_fields.ts";
import { readFilters } from "./validate_http_filter.ts";
import { readRetry } from "./validate_http_extended.ts";
import { readBackendRef, readParentRefs } from "./validate_references.ts";
import { DURATION, HEADER_NAME, HOSTNAME, SECTION_NAME } from "./validate_rules.ts";
import { readStatus, ROUTE_STATUS_LISTS } from "./validate_status.ts";

const PATH_TYPES = ["Exact", "PathPrefix", "RegularExpression"] as const;
const VALUE_MATCH_TYPES = ["Exact", "RegularExpression"] as const;
const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];
const PATH_CHARS = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$/;

/** Why an `Exact`/`PathPrefix` value is not a clean absolute path, or undefined. */
function pathValueProblem(value: string): string | undefined {
  if (!value.startsWith("/")) return 'must start with "/"';
  for (const bad of ["//", "/./", "/../", "%2f", "%2F", "#"]) {
    if (value.includes(bad)) return `must not contain ${JSON.stringify(bad)}`;
  }
  if (value.endsWith("/..") || value.endsWith("/.")) return 'must not end with "/." or "/.."';
  if (!PATH_CHARS.test(value)) {
    return "must contain only URL path characters and %-encoded octets";
  }
  return undefined;
}

function readPath(c: FieldChecker, raw: unknown, field: string): HTTPPathMatch | undefined {
  const o = c.object(raw, field);
  if (!o) return undefined;
  const path: HTTPPathMatch = {};
  const type = c.string(o.type, `${field}.type`, { oneOf: PATH_TYPES });
  put(path, "type", type as HTTPPathMatch["type"]);
  const value = c.string(o.value, `${field}.value`, { maxLength: 1024 });
  put(path, "value", value);
  if (value !== undefined && (type ?? "PathPrefix") !== "RegularExpression") {
    const problem = pathValueProblem(value);
    if (problem) c.error(`${field}.value`, `${problem}, got ${JSON.stringify(value)}`);
  }
  return path;
}

function readValueMatches<T extends HTTPHeaderMatch | HTTPQueryParamMatch>(
  c: FieldChecker,
  raw: unknown,
  field: string,
  maxValue: number,
  what: string,
): T[] | undefined {
  const list = c.listOf(raw, field, { maxItems: 16 }, (item, f) => {
    const o = c.object(item, f, true);
    if (!o) return undefined;
    const m = {
      name: c.string(o.name, `${f}.name`, HEADER_NAME) ?? "",
      value:
        c.string(o.value, `${f}.value`, { required: true, minLength: 1, maxLength: maxValue }) ??
          "",
    } as T;
    put(m, "type", c.string(o.type, `${f}.type`, { oneOf: VALUE_MATCH_TYPES }) as T["type"]);
    return m;
  });
  c.unique(list, field, (m) => m.name || undefined, what);
  return list;
}

function readMatch(c: FieldChecker, raw: unknown, field: string): HTTPRouteMatch | undefined {
  const o = c.object(raw, field, true);
  if (!o) return undefined;
  const match: HTTPRouteMatch = {};
  put(match, "path", readPath(c, o.path, `${field}.path`));
  put(match, "headers", readValueMatches(c, o.headers, `${field}.headers`, 4096, "header name"));
  put(
    match,
    "queryParams",
    readValueMatches(c, o.queryParams, `${field}.queryParams`, 1024, "query parameter name"),
  );
  put(match, "method", c.string(o.method, `${field}.method`, { oneOf: METHODS }) as HTTPMethod);
  return match;
}

function readBackend(c: FieldChecker, raw: unknown, field: string): HTTPBackendRef | undefined {
  const ref: HTTPBackendRef | undefined = readBackendRef(c, raw, field);
  if (!ref) return undefined;
  const o = raw as Record<string, unknown>;
  put(ref, "weight", c.integer(o.weight, `${field}.weight`, { min: 0, max: 1_000_000 }));
  put(ref, "filters", readFilters(c, o.filters, `${field}.filters`));
  return ref;
}

function readTimeouts(c: FieldChecker, raw: unknown, field: string): HTTPRouteTimeouts | undefined {
  const o = c.object(raw, field);
  if (!o) return undefined;
  const timeouts: HTTPRouteTimeouts = {};
  put(timeouts, "request", c.string(o.request, `${field}.request`, DURATION));
  put(timeouts, "backendRequest", c.string(o.backendRequest, `${field}.backendRequest`, DURATION));
  if (timeouts.request !== undefined && timeouts.backendRequest !== undefined) {
    const request = parseGatewayDuration(timeouts.request);
    const backend = parseGatewayDuration(timeouts.backendRequest);
    // A zero request timeout means "no timeout", which any backend timeout fits in.
    if (request.ok && backend.ok && request.ms !== 0 && backend.ms > request.ms) {
      c.error(
        `${field}.backendRequest`,
        `must not be longer than the request timeout ${timeouts.request}, got ${timeouts.backendRequest}`,
      );
    }
  }
  return timeouts;
}

function usesPrefixReplacement(filters: readonly HTTPRouteFilter[] | undefined): boolean {
  return !!filters?.some((f) =>
    f.requestRedirect?.path?.replacePrefixMatch !== undefined ||
    f.urlRewrite?.path?.replacePrefixMatch !== undefined
  );
}

function readRule(c: FieldChecker, raw: unknown, field: string): HTTPRouteRule | undefined {
  const o = c.object(raw, field, true);
  if (!o) return undefined;
  const rule: HTTPRouteRule = {};
  put(rule, "name", c.string(o.name, `${field}.name`, SECTION_NAME));
  const matches = c.listOf(
    o.matches,
    `${field}.matches`,
    { maxItems: 64 },
    (m, f) => readMatch(c, m, f),
  );
  put(rule, "matches", matches);
  put(rule, "filters", readFilters(c, o.filters, `${field}.filters`));
  const backendRefs = c.listOf(
    o.backendRefs,
    `${field}.backendRefs`,
    { maxItems: 16 },
    (b, f) => readBackend(c, b, f),
  );
  put(rule, "backendRefs", backendRefs);
  put(rule, "timeouts", readTimeouts(c, o.timeouts, `${field}.timeouts`));
  put(rule, "retry", readRetry(c, o.retry, `${field}.retry`));

  if (backendRefs?.length && rule.filters?.some((f) => f.type === "RequestRedirect")) {
    c.error(
      `${field}.filters`,
      "must not contain a RequestRedirect filter when backendRefs are set",
    );
  }
  if (
    usesPrefixReplacement(rule.filters) ||
    backendRefs?.some((b) => usesPrefixReplacement(b.filters))
  ) {
    // The CRD defaults an absent match list to one `PathPrefix /` match and an absent type to PathPrefix.
    const effective = matches ?? [{}];
    const only = effective.length === 1 ? effective[0] : undefined;
    if (!only || (only.path?.type ?? "PathPrefix") !== "PathPrefix") {
      c.error(
        `${field}.matches`,
        "must be exactly one PathPrefix match when a filter uses replacePrefixMatch",
      );
    }
  }
  return rule;
}

/** Reads an HTTPRoute whose `apiVersion`, `kind` and `metadata` are already read. */
export function readHTTPRoute(
  c: FieldChecker,
  raw: Record<string, unknown>,
  head: KubeObject,
): HTTPRoute {
  const s = c.object(raw.spec, "spec", true) ?? {};
  const spec: HTTPRoute["spec"] = {};
  put(spec, "parentRefs", readParentRefs(c, s));
  put(spec, "hostnames", c.stringList(s.hostnames, "spec.hostnames", { maxItems: 16 }, HOSTNAME));
  const rules = c.listOf(
    s.rules,
    "spec.rules",
    { minItems: 1, maxItems: 16 },
    (r, f) => readRule(c, r, f),
  );
  put(spec, "rules", rules);
  if (rules) {
    let total = 0;
    for (const r of rules) total += r.matches?.length ?? 1;
    if (total > 128) {
      c.error("spec.rules", `must have at most 128 matches in all rules, got ${total}`);
    }
  }
  const out: HTTPRoute = { ...head, kind: "HTTPRoute", spec };
  const status = readStatus(c, raw.status, ROUTE_STATUS_LISTS);
  if (status) out.status = status as HTTPRoute["status"];
  return out;
}
