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
  return Object.freeze(new Match(config));
}

const NO_CONDITIONS: readonly StringCondition[] = Object.freeze([]);

/**
 * A compiled match as one object whose methods live on the prototype: the
 * table keeps one per match (thousands), and three closures over a shared
 * scope cost about twice the bytes of these fields.
 */
class Match implements CompiledMatch {
  readonly config: MatchConfig;
  readonly prefix: string;
  readonly brokenReason: string | undefined;
  readonly #method: string | undefined;
  readonly #pathRegex: RegExp | undefined;
  readonly #headers: readonly StringCondition[];
  readonly #queryParams: readonly StringCondition[];

  constructor(config: MatchConfig) {
    const { pathRegex, headers, queryParams, brokenReason } = compileConditions(config);
    this.config = config;
    this.prefix = config.path.type === "PathPrefix" ? config.path.value.replace(/\/+$/, "") : "";
    this.brokenReason = brokenReason;
    this.#method = config.method;
    this.#pathRegex = pathRegex;
    this.#headers = headers.length > 0 ? headers : NO_CONDITIONS;
    this.#queryParams = queryParams.length > 0 ? queryParams : NO_CONDITIONS;
  }

  testPath(path: string): boolean {
    const prefix = this.prefix;
    switch (this.config.path.type) {
      case "Exact":
        return path === this.config.path.value;
      case "PathPrefix":
        return prefix === "" || path === prefix ||
          (path.startsWith(prefix) && path.charCodeAt(prefix.length) === 0x2f);
      case "RegularExpression":
        return this.#pathRegex !== undefined && this.#pathRegex.test(path);
    }
  }

  testRest(request: RouteRequest, query: LazyQuery): boolean {
    if (this.brokenReason !== undefined) return false;
    const method = this.#method;
    if (method !== undefined && request.method !== method) return false;
    for (const h of this.#headers) {
      const actual = request.headers.get(h.name);
      if (actual === null || !stringHolds(h, actual)) return false;
    }
    for (const q of this.#queryParams) {
      const actual = query.get(q.name);
      if (actual === undefined || !stringHolds(q, actual)) return false;
    }
    return true;
  }

  diagnose(request: RouteRequest, query: LazyQuery): MismatchReason[] {
    const reasons: MismatchReason[] = [];
    const { config, brokenReason } = this;
    const method = this.#method;
    if (brokenReason !== undefined) reasons.push({ field: "config", message: brokenReason });
    if (!this.testPath(request.path)) {
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
    for (const h of this.#headers) {
      const reason = describe("Header", h, request.headers.get(h.name) ?? undefined);
      if (reason) reasons.push({ field: "header", name: h.name, message: reason });
    }
    for (const q of this.#queryParams) {
      const reason = describe("Query parameter", q, query.get(q.name));
      if (reason) reasons.push({ field: "queryParam", name: q.name, message: reason });
    }
    return reasons;
  }
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
