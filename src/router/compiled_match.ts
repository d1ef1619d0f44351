/**
 * One `MatchConfig` compiled for fast evaluation (regular expressions built
 * once), and able to say why a request does not satisfy it.
 * @module
 */
import type { MatchConfig, StringMatchType } from "../model/config.ts";
import type { RouteRequest } from "./router.ts";
import type { LazyQuery } from "./query_params.ts";

/** Why a request does not satisfy a match; one entry per failing condition. */
export interface MismatchReason {
  field: "path" | "method" | "header" | "queryParam" | "config";
  /** Header or query parameter name. */
  name?: string;
  message: string;
}

interface StringCondition {
  type: StringMatchType;
  name: string;
  value: string;
  regex: RegExp | undefined;
}

/** A match ready to be evaluated. */
export interface CompiledMatch {
  readonly config: MatchConfig;
  /** The prefix of a PathPrefix match without trailing slashes (`""` for `/`). */
  readonly prefix: string;
  /** Set when the match can never match (e.g. its regular expression does not compile). */
  readonly brokenReason: string | undefined;
  /** Whether the path condition holds. */
  testPath(path: string): boolean;
  /** Whether method, header and query conditions hold (the path is checked elsewhere). */
  testRest(request: RouteRequest, query: LazyQuery): boolean;
  /** Every failing condition, path included; empty when the request matches. */
  diagnose(request: RouteRequest, query: LazyQuery): MismatchReason[];
}

/**
 * Compile a regular expression for a full (anchored) match. The dialect is
 * ECMAScript without flags; it is documented as such for users.
 */
export function compileFullMatch(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

/**
 * Compile a match. A regular expression that does not compile makes the
 * match unmatchable (and says so in `brokenReason`) instead of throwing:
 * `translate` should have rejected it, and one bad route must not take the
 * whole table down.
 */
export function compileMatch(config: MatchConfig): CompiledMatch {
  const { pathRegex, headers, queryParams, brokenReason } = compileConditions(config);
  const prefix = config.path.type === "PathPrefix" ? config.path.value.replace(/\/+$/, "") : "";
  const { method } = config;

  const testPath = (path: string): boolean => {
    switch (config.path.type) {
      case "Exact":
        return path === config.path.value;
      case "PathPrefix":
        return prefix === "" || path === prefix ||
          (path.startsWith(prefix) && path.charCodeAt(prefix.length) === 0x2f);
      case "RegularExpression":
        return pathRegex !== undefined && pathRegex.test(path);
    }
  };

  const testRest = (request: RouteRequest, query: LazyQuery): boolean => {
    if (brokenReason !== undefined) return false;
    if (method !== undefined && request.method !== method) return false;
    for (const h of headers) {
      const actual = request.headers.get(h.name);
      if (actual === null || !stringHolds(h, actual)) return false;
    }
    for (const q of queryParams) {
      const actual = query.get(q.name);
      if (actual === undefined || !stringHolds(q, actual)) return false;
    }
    return true;
  };

  const diagnose = (request: RouteRequest, query: LazyQuery): MismatchReason[] => {
    const reasons: MismatchReason[] = [];
    if (brokenReason !== undefined) reasons.push({ field: "config", message: brokenReason });
    if (!testPath(request.path)) {
      reasons.push({
        field: "path",
        message: `Path "${request.path}" does not match ${config.path.type} "${config.path.value}"`,
      });
    }
    if (method !== undefined && request.method !== method) {
      reasons.push({
        field: "method",
        message: `Method ${request.method} differs from ${method}`,
      });
    }
    for (const h of headers) {
      const reason = describe("Header", h, request.headers.get(h.name) ?? undefined);
      if (reason) reasons.push({ field: "header", name: h.name, message: reason });
    }
    for (const q of queryParams) {
      const reason = describe("Query parameter", q, query.get(q.name));
      if (reason) reasons.push({ field: "queryParam", name: q.name, message: reason });
    }
    return reasons;
  };

  return Object.freeze({ config, prefix, brokenReason, testPath, testRest, diagnose });
}

/** The regular expressions and first-by-name conditions of `config`, and why any is broken. */
function compileConditions(config: MatchConfig): {
  pathRegex: RegExp | undefined;
  headers: StringCondition[];
  queryParams: StringCondition[];
  brokenReason: string | undefined;
} {
  const broken: string[] = [];
  const tryRegex = (what: string, pattern: string): RegExp | undefined => {
    try {
      return compileFullMatch(pattern);
    } catch (error) {
      broken.push(
        `Cannot compile ${what} regular expression: current value is "${pattern}" (${
          (error as Error).message
        })`,
      );
      return undefined;
    }
  };
  const pathRegex = config.path.type === "RegularExpression"
    ? tryRegex("path", config.path.value)
    : undefined;
  const headers = firstByName(config.headers, (name) => name.toLowerCase()).map((h) => ({
    ...h,
    name: h.name.toLowerCase(),
    regex: h.type === "RegularExpression" ? tryRegex(`header ${h.name}`, h.value) : undefined,
  }));
  const queryParams = firstByName(config.queryParams, (name) => name).map((q) => ({
    ...q,
    regex: q.type === "RegularExpression"
      ? tryRegex(`query parameter ${q.name}`, q.value)
      : undefined,
  }));
  const brokenReason = broken.length > 0 ? broken.join("; ") : undefined;
  return { pathRegex, headers, queryParams, brokenReason };
}

function stringHolds(condition: StringCondition, actual: string): boolean {
  return condition.type === "Exact"
    ? actual === condition.value
    : condition.regex !== undefined && condition.regex.test(actual);
}

function describe(
  what: string,
  condition: StringCondition,
  actual: string | undefined,
): string | undefined {
  if (actual === undefined) return `${what} ${condition.name} is missing`;
  if (stringHolds(condition, actual)) return undefined;
  return condition.type === "Exact"
    ? `${what} ${condition.name} value "${actual}" differs from "${condition.value}"`
    : `${what} ${condition.name} value "${actual}" does not match RegularExpression "${condition.value}"`;
}

/** The spec says only the first entry for a name counts; later ones are ignored. */
function firstByName<T extends { name: string }>(items: T[], key: (name: string) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item.name);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
