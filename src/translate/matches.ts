/**
 * HTTPRoute matches → {@linkcode MatchConfig}: defaults applied, values
 * validated, regular expressions compiled once with JS `RegExp` so that the
 * router never meets a pattern it cannot compile.
 * @module
 */
import { errorMessage } from "../log/error_message.ts";
import type { HTTPRouteMatch } from "../resources/http_route_types.ts";
import type { MatchConfig, StringMatchType } from "../model/config.ts";
import { matchId } from "./ids.ts";
import { exactList } from "../model/exact_list.ts";

/** A rule-level validation failure: the rule is left out of the config. */
export interface RuleError {
  reason: string;
  message: string;
  field: string;
}

/** A note that is not fatal to the rule but worth a problem. */
export interface RuleNote {
  field: string;
  message: string;
}

const METHODS = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "CONNECT",
  "OPTIONS",
  "TRACE",
  "PATCH",
]);

/** The route a match belongs to. */
export interface MatchOwner {
  namespace: string;
  name: string;
  ruleIndex: number;
  ruleId: string;
  /** `namespace/name`, when the caller has it already (one string for all its matches). */
  route?: string;
  /** Default `HTTPRoute`. */
  kind?: "HTTPRoute" | "GRPCRoute";
}

/**
 * Compiles the matches of one rule. No matches means one match on
 * `PathPrefix /`, as the API defaults it. Duplicate header names (compared
 * case-insensitively) and duplicate query parameter names keep their first
 * entry only, as the spec says; each dropped duplicate is noted.
 */
export function compileMatches(
  owner: MatchOwner,
  matches: readonly HTTPRouteMatch[] | undefined,
  field: string,
  notes: RuleNote[],
): { ok: true; matches: MatchConfig[] } | { ok: false; error: RuleError } {
  const list = matches && matches.length > 0 ? matches : [{}];
  const result: MatchConfig[] = [];
  for (let j = 0; j < list.length; j++) {
    const m = list[j];
    const mField = `${field}.matches[${j}]`;
    const type = m.path?.type ?? "PathPrefix";
    const value = m.path?.value ?? "/";
    const unsupported = (f: string, message: string) => ({
      ok: false as const,
      error: { reason: "UnsupportedValue", message, field: f },
    });
    if (type !== "Exact" && type !== "PathPrefix" && type !== "RegularExpression") {
      return unsupported(
        `${mField}.path.type`,
        `Cannot use path match type ${
          JSON.stringify(type)
        }: expected Exact, PathPrefix or RegularExpression`,
      );
    }
    if (type === "RegularExpression") {
      const error = regexError(value);
      if (error) {
        return unsupported(
          `${mField}.path.value`,
          `Cannot compile path regular expression ${JSON.stringify(value)}: ${error}`,
        );
      }
    } else if (!value.startsWith("/") || value.includes("//")) {
      return unsupported(
        `${mField}.path.value`,
        `Cannot use ${type} path ${
          JSON.stringify(value)
        }: it must start with "/" and contain no "//"`,
      );
    }
    if (m.method !== undefined && !METHODS.has(m.method)) {
      return unsupported(
        `${mField}.method`,
        `Cannot match method ${JSON.stringify(m.method)}: it is not an HTTP method`,
      );
    }
    const headers = compileStringMatches(m.headers ?? [], `${mField}.headers`, true, notes);
    if ("error" in headers) return { ok: false, error: headers.error };
    const queryParams = compileStringMatches(
      m.queryParams ?? [],
      `${mField}.queryParams`,
      false,
      notes,
    );
    if ("error" in queryParams) return { ok: false, error: queryParams.error };
    const config: MatchConfig = {
      id: matchId(owner.namespace, owner.name, owner.ruleIndex, j, owner.kind),
      rule: owner.ruleId,
      route: owner.route ?? `${owner.namespace}/${owner.name}`,
      // Most matches are the default path with no header or query match:
      // one frozen path and empty list for all of them (kept while the route stays).
      path: type === "PathPrefix" && value === "/" ? ROOT_PREFIX : { type, value },
      headers: headers.list.length === 0 ? NO_STRING_MATCHES : headers.list,
      queryParams: queryParams.list.length === 0 ? NO_STRING_MATCHES : queryParams.list,
    };
    if (m.method !== undefined) config.method = m.method;
    result.push(config);
  }
  return { ok: true, matches: exactList(result) };
}

const ROOT_PREFIX: MatchConfig["path"] = Object.freeze({ type: "PathPrefix", value: "/" });
const NO_STRING_MATCHES: MatchConfig["headers"] = Object.freeze([]) as never[];

function compileStringMatches(
  entries: readonly { type?: string; name: string; value: string }[],
  field: string,
  caseInsensitiveNames: boolean,
  notes: RuleNote[],
):
  | { list: { type: StringMatchType; name: string; value: string }[] }
  | { error: RuleError } {
  const seen = new Set<string>();
  const list: { type: StringMatchType; name: string; value: string }[] = [];
  for (let k = 0; k < entries.length; k++) {
    const entry = entries[k];
    const type = entry.type ?? "Exact";
    const name = caseInsensitiveNames ? entry.name.toLowerCase() : entry.name;
    if (type !== "Exact" && type !== "RegularExpression") {
      return {
        error: {
          reason: "UnsupportedValue",
          field: `${field}[${k}].type`,
          message: `Cannot use match type ${
            JSON.stringify(type)
          }: expected Exact or RegularExpression`,
        },
      };
    }
    if (type === "RegularExpression") {
      const error = regexError(entry.value);
      if (error) {
        return {
          error: {
            reason: "UnsupportedValue",
            field: `${field}[${k}].value`,
            message: `Cannot compile regular expression ${JSON.stringify(entry.value)} for ${
              JSON.stringify(entry.name)
            }: ${error}`,
          },
        };
      }
    }
    if (seen.has(name)) {
      notes.push({
        field: `${field}[${k}]`,
        message: `Ignoring duplicate match on ${
          JSON.stringify(entry.name)
        }: only the first entry with this name is used`,
      });
      continue;
    }
    seen.add(name);
    list.push({ type, name, value: entry.value });
  }
  return { list };
}

/** Why `pattern` is not a valid JS regular expression, or `undefined` when it is. */
export function regexError(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
    return undefined;
  } catch (error) {
    return errorMessage(error);
  }
}
