/**
 * One HTTPRoute's rules → rule configs and matches, independent of where the
 * route attaches. Invalid rules are dropped (the spec's "Drop Rule(s)"
 * approach to PartiallyInvalid); a rule using a filter this gateway does not
 * implement is kept but answers 500, because the spec forbids skipping such a
 * filter.
 * @module
 */
import type { HTTPRoute, HTTPRouteRule } from "../resources/http_route_types.ts";
import { parseGatewayDuration } from "../resources/duration.ts";
import type { BackendConfig, MatchConfig, RuleConfig } from "../model/config.ts";
import type { TranslateContext } from "./context.ts";
import { type Outcome, Reason } from "./conditions.ts";
import { compileFilters } from "./filters.ts";
import { ruleId } from "./ids.ts";
import { compileMatches, type RuleError, type RuleNote } from "./matches.ts";
import { resolveBackend } from "./backend.ts";
import { resolveMirror } from "./extended_filters.ts";
import { compileRetry } from "./retry.ts";
import { grpcRank } from "./grpc_route.ts";
import { exactList } from "../model/exact_list.ts";

/** A rule that goes into the config. */
export interface CompiledRule {
  index: number;
  config: RuleConfig;
  matches: MatchConfig[];
}

/** Everything about a route that does not depend on its parents. */
export interface CompiledRoute {
  route: HTTPRoute;
  /** `namespace/name`. */
  key: string;
  rules: CompiledRule[];
  /** Rules left out of the config, or serving 500, with why. */
  invalidRules: { index: number; error: RuleError }[];
  /** Total number of rules (after defaulting). */
  ruleCount: number;
  resolvedRefs: Outcome & { ok: boolean };
}

/** Where the rules of one route are collected. */
interface RouteRules {
  rules: CompiledRule[];
  invalidRules: { index: number; error: RuleError }[];
  /** Unresolved references, for the route's ResolvedRefs condition. */
  refFailures: Outcome[];
}

/** Compiles a route's rules and resolves its backends. */
export function compileRoute(ctx: TranslateContext, route: HTTPRoute): CompiledRoute {
  const namespace = route.metadata.namespace ?? "default";
  const name = route.metadata.name;
  const specRules = route.spec.rules && route.spec.rules.length > 0 ? route.spec.rules : [{}];
  const out: RouteRules = { rules: [], invalidRules: [], refFailures: [] };
  // One string for the route and each of its matches.
  const key = `${namespace}/${name}`;
  specRules.forEach((rule, index) => compileRule(ctx, route, rule, index, out, key));
  const { refFailures } = out;
  const firstFailure = refFailures[0];
  return {
    route,
    key,
    // Kept by the memo while the route stays: at their length, not push's;
    // what most routes have (no invalid rule, every reference resolved) is shared.
    rules: exactList(out.rules),
    invalidRules: out.invalidRules.length === 0 ? NO_INVALID_RULES : out.invalidRules.slice(),
    ruleCount: specRules.length,
    resolvedRefs: firstFailure
      ? {
        ok: false,
        reason: firstFailure.reason,
        message: refFailures.map((f) => f.message).join("; "),
      }
      : RESOLVED,
  };
}

/** What most rules and backends hold: no filter (shared, frozen: kept while the route stays). */
const NO_FILTERS: RuleConfig["filters"] = Object.freeze([]) as never[];
const NO_INVALID_RULES: CompiledRoute["invalidRules"] = Object.freeze([]) as never[];
const RESOLVED: CompiledRoute["resolvedRefs"] = Object.freeze({
  ok: true,
  reason: Reason.ResolvedRefs,
  message: "All references are resolved",
});

/** Compiles rule `index` of `route` into `out`: kept, kept answering 500, or left out. */
function compileRule(
  ctx: TranslateContext,
  route: HTTPRoute,
  rule: HTTPRouteRule,
  index: number,
  out: RouteRules,
  key: string,
): void {
  const namespace = route.metadata.namespace ?? "default";
  const name = route.metadata.name;
  const kind = routeKind(route);
  const field = `spec.rules[${index}]`;
  const id = ruleId(namespace, name, index, kind);
  const notes: RuleNote[] = [];
  const invalid = (error: RuleError) => {
    out.invalidRules.push({ index, error });
    ctx.problem(route, error.field, error.message);
  };
  const matches = compileMatches(
    { namespace, name, ruleIndex: index, ruleId: id, route: key, kind },
    rule.matches,
    field,
    notes,
  );
  for (const note of notes) ctx.problem(route, note.field, note.message);
  if (!matches.ok) return invalid(matches.error);
  if (kind === "GRPCRoute") {
    for (const m of matches.matches) m.grpc = grpcRank(m.path);
  }
  const allPathPrefix = matches.matches.every((m) => m.path.type === "PathPrefix");
  const filters = compileFilters(rule.filters, `${field}.filters`, allPathPrefix);
  if (filters.error) return invalid(filters.error);
  const timeouts = compileTimeouts(rule, field);
  if (!timeouts.ok) return invalid(timeouts.error);
  const retry = rule.retry === undefined ? undefined : compileRetry(rule.retry, `${field}.retry`);
  if (retry !== undefined && !retry.ok) return invalid(retry.error);
  for (const pending of filters.mirrors) {
    const mirror = resolveMirror(ctx, route, pending);
    if (mirror.ok) {
      filters.filters.push(mirror.mirror);
    } else {
      // The rule serves without this mirror; ResolvedRefs says why.
      out.refFailures.push(mirror);
      ctx.problem(route, mirror.field, mirror.message);
    }
  }
  const backends = compileBackends(ctx, route, rule, field, allPathPrefix, out.refFailures);
  const unsupported = filters.unsupported ?? backends.unsupported;
  const config: RuleConfig = {
    id,
    filters: filters.filters.length === 0 ? NO_FILTERS : filters.filters,
    backends: backends.backends,
    invalidWeight: backends.invalidWeight,
  };
  if (kind === "GRPCRoute") config.grpc = true;
  if (Object.keys(timeouts.timeouts).length > 0) config.timeouts = timeouts.timeouts;
  if (retry?.ok) config.retry = retry.retry;
  if (unsupported) {
    // Never skip a filter we cannot apply: every request of this rule gets 500.
    out.invalidRules.push({ index, error: unsupported });
    ctx.problem(route, unsupported.field, unsupported.message);
    config.filters = NO_FILTERS;
    config.backends = [];
    config.invalidWeight = Math.max(1, totalWeight(rule.backendRefs));
  }
  out.rules.push({ index, config, matches: matches.matches });
}

/** A rule's timeouts in ms; `backendRequest` may not exceed `request`. */
function compileTimeouts(
  rule: HTTPRouteRule,
  field: string,
): { ok: true; timeouts: NonNullable<RuleConfig["timeouts"]> } | { ok: false; error: RuleError } {
  const timeouts: NonNullable<RuleConfig["timeouts"]> = {};
  for (const key of ["request", "backendRequest"] as const) {
    const value = rule.timeouts?.[key];
    if (value === undefined) continue;
    const parsed = parseGatewayDuration(value);
    if (!parsed.ok) {
      const error = {
        reason: Reason.UnsupportedValue,
        field: `${field}.timeouts.${key}`,
        message: parsed.error,
      };
      return { ok: false, error };
    }
    timeouts[key] = parsed.ms;
  }
  if (
    timeouts.request !== undefined && timeouts.backendRequest !== undefined &&
    timeouts.request !== 0 &&
    (timeouts.backendRequest === 0 || timeouts.backendRequest > timeouts.request)
  ) {
    const error = {
      reason: Reason.UnsupportedValue,
      field: `${field}.timeouts.backendRequest`,
      message:
        `Cannot use backendRequest timeout ${rule.timeouts?.backendRequest}: it must not exceed the request timeout ${rule.timeouts?.request}`,
    };
    return { ok: false, error };
  }
  return { ok: true, timeouts };
}

/**
 * A rule's backends with their filters. Unresolved references add their
 * weight to `invalidWeight` (those requests get 500) and go to
 * `refFailures`; `unsupported` is the first backend filter this gateway
 * cannot apply.
 */
function compileBackends(
  ctx: TranslateContext,
  route: HTTPRoute,
  rule: HTTPRouteRule,
  field: string,
  allPathPrefix: boolean,
  refFailures: Outcome[],
): { backends: BackendConfig[]; invalidWeight: number; unsupported?: RuleError } {
  const backends: BackendConfig[] = [];
  let invalidWeight = 0;
  let unsupported: RuleError | undefined;
  (rule.backendRefs ?? []).forEach((ref, b) => {
    const bField = `${field}.backendRefs[${b}]`;
    const weight = ref.weight ?? 1;
    const resolution = resolveBackend(ctx, route, ref);
    if (!resolution.ok) {
      refFailures.push(resolution);
      ctx.problem(route, bField, resolution.message);
      invalidWeight += weight;
      return;
    }
    const backendFilters = compileFilters(ref.filters, `${bField}.filters`, allPathPrefix, true);
    if (backendFilters.error) {
      unsupported ??= backendFilters.error;
      return;
    }
    unsupported ??= backendFilters.unsupported;
    if (weight === 0) return;
    // gRPC needs HTTP/2 and trailers, whatever the Service's appProtocol says.
    const protocol = routeKind(route) === "GRPCRoute" ? "grpc" : resolution.backend.protocol;
    const own = backendFilters.filters;
    backends.push({
      ...resolution.backend,
      protocol,
      filters: own.length === 0 ? NO_FILTERS : own,
    });
  });
  return { backends: exactList(backends), invalidWeight, unsupported };
}

/** A GRPCRoute arrives as the HTTPRoute its matches map onto (`grpc_route.ts`). */
function routeKind(route: HTTPRoute): "GRPCRoute" | "HTTPRoute" {
  return (route.kind as string) === "GRPCRoute" ? "GRPCRoute" : "HTTPRoute";
}

function totalWeight(refs: readonly { weight?: number }[] | undefined): number {
  return (refs ?? []).reduce((sum, ref) => sum + (ref.weight ?? 1), 0);
}
