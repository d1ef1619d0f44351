/**
 * GRPCRoute → the HTTPRoute machinery. A gRPC call is an HTTP/2 POST to
 * `/<service>/<method>`, so the spec's matches map onto path matches:
 *
 * - service and method, `Exact`: path `Exact /<service>/<method>`;
 * - service alone, `Exact`: path `PathPrefix /<service>/`;
 * - method alone, `Exact`, or either part as `RegularExpression`: a path
 *   `RegularExpression` over `/<service>/<method>`, an absent part being one
 *   path segment (`[^/]+`);
 * - headers unchanged; no match at all: every call.
 *
 * The path precedence then follows the spec's order for GRPCRoute (a matching
 * service and method outrank a matching service alone, which outranks a
 * method alone); header counts break the remaining ties, as for HTTPRoute.
 * The result keeps `kind: "GRPCRoute"`, so ids, problems and statuses name
 * the real kind.
 *
 * @example
 * ```ts
 * import { grpcMatchAsHttp } from "./grpc_route.ts";
 * grpcMatchAsHttp({ method: { service: "echo.Echo", method: "Say" } }).path;
 * // { type: "Exact", value: "/echo.Echo/Say" }
 * ```
 * @module
 */
import type { GRPCRoute, GRPCRouteMatch } from "../resources/grpc_route_types.ts";
import type {
  HTTPPathMatch,
  HTTPRoute,
  HTTPRouteFilter,
  HTTPRouteMatch,
} from "../resources/http_route_types.ts";

const ANY_SEGMENT = "[^/]+";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function pathOf(match: GRPCRouteMatch): HTTPPathMatch {
  const m = match.method;
  if (m === undefined) return { type: "PathPrefix", value: "/" };
  const service = m.service || undefined;
  const method = m.method || undefined;
  if ((m.type ?? "Exact") === "Exact") {
    if (service !== undefined && method !== undefined) {
      return { type: "Exact", value: `/${service}/${method}` };
    }
    if (service !== undefined) return { type: "PathPrefix", value: `/${service}/` };
    return { type: "RegularExpression", value: `/${ANY_SEGMENT}/${escapeRegExp(method ?? "")}` };
  }
  return {
    type: "RegularExpression",
    value: `/${service ?? ANY_SEGMENT}/${method ?? ANY_SEGMENT}`,
  };
}

/**
 * The characters of service and method a compiled GRPCRoute path matches,
 * read back from the path {@linkcode grpcMatchAsHttp} made: a part left to
 * any segment counts 0, a regular expression counts its pattern's length.
 */
export function grpcRank(path: HTTPPathMatch): { service: number; method: number } {
  const value = path.value ?? "/";
  if ((path.type ?? "PathPrefix") === "PathPrefix") {
    return { service: Math.max(0, value.length - 2), method: 0 };
  }
  // The service part is a gRPC name or a pattern over one; neither holds a
  // `/`, except the any-segment pattern itself.
  const anyService = value.startsWith(`/${ANY_SEGMENT}/`);
  const slash = anyService ? ANY_SEGMENT.length + 1 : value.indexOf("/", 1);
  const service = value.slice(1, slash);
  const method = value.slice(slash + 1);
  const count = (part: string) => part === ANY_SEGMENT ? 0 : part.length;
  return { service: count(service), method: count(method) };
}

/** One GRPCRoute match as the HTTPRoute match that selects the same calls. */
export function grpcMatchAsHttp(match: GRPCRouteMatch): HTTPRouteMatch {
  const out: HTTPRouteMatch = { path: pathOf(match) };
  if (match.headers !== undefined) out.headers = match.headers.map((h) => ({ ...h }));
  return out;
}

/**
 * A GRPCRoute as an HTTPRoute-shaped object for `compileRoute` and
 * `attachToGateway`; its `kind` stays `GRPCRoute`.
 */
export function grpcRouteAsHttp(route: GRPCRoute): HTTPRoute {
  const rules = route.spec.rules?.map((rule) => ({
    ...(rule.name !== undefined ? { name: rule.name } : {}),
    ...(rule.matches !== undefined ? { matches: rule.matches.map(grpcMatchAsHttp) } : {}),
    ...(rule.filters !== undefined ? { filters: rule.filters as HTTPRouteFilter[] } : {}),
    ...(rule.backendRefs !== undefined
      ? {
        backendRefs: rule.backendRefs.map((b) => ({
          ...b,
          ...(b.filters !== undefined ? { filters: b.filters as HTTPRouteFilter[] } : {}),
        })),
      }
      : {}),
  }));
  const spec: HTTPRoute["spec"] = { ...route.spec, rules };
  if (rules === undefined) delete spec.rules;
  return { ...route, spec } as unknown as HTTPRoute;
}
