/**
 * HTTPRoute filters → {@linkcode FilterConfig}. Core filters
 * (RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect,
 * URLRewrite), CORS and RequestMirror (whose backends the caller resolves)
 * are supported on a rule; anything else is an unsupported filter, which
 * must not be skipped silently: the rule then answers 500 (see
 * `route_rules.ts`).
 * @module
 */
import type {
  HTTPHeaderFilter,
  HTTPPathModifier,
  HTTPRequestRedirectFilter,
  HTTPRouteFilter,
  HTTPURLRewriteFilter,
} from "../resources/http_route_types.ts";
import type { FilterConfig, HeaderModifierConfig, PathModifierConfig } from "../model/config.ts";
import { Reason } from "./conditions.ts";
import type { RuleError } from "./matches.ts";
import { compileCors, type PendingMirror } from "./extended_filters.ts";

/** The outcome of {@linkcode compileFilters}. */
export interface FilterCompilation {
  filters: FilterConfig[];
  /** A filter this gateway does not implement (the rule must answer with an error). */
  unsupported?: RuleError;
  /** An invalid filter or combination (the rule is left out). */
  error?: RuleError;
  /** RequestMirror filters, whose backends the caller resolves. */
  mirrors: PendingMirror[];
}

const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);

/**
 * Compiles a list of filters.
 *
 * @param allPathPrefix whether every match of the rule is a `PathPrefix`
 *   match; `ReplacePrefixMatch` is only valid then.
 * @param backendLevel filters of a backendRef: only header modifiers are
 *   supported there.
 */
export function compileFilters(
  filters: readonly HTTPRouteFilter[] | undefined,
  field: string,
  allPathPrefix: boolean,
  backendLevel = false,
): FilterCompilation {
  const result: FilterCompilation = { filters: [], mirrors: [] };
  const list = filters ?? [];
  const types = list.map((f) => f.type);
  if (types.includes("RequestRedirect") && types.includes("URLRewrite")) {
    result.error = {
      reason: Reason.IncompatibleFilters,
      field,
      message: "Cannot combine RequestRedirect and URLRewrite filters in one rule",
    };
    return result;
  }
  const seen = new Set<string>();
  for (let i = 0; i < list.length; i++) {
    const filter = list[i];
    const fField = `${field}[${i}]`;
    if (filter.type === "RequestMirror" && !backendLevel && filter.requestMirror) {
      // Several mirrors may share a rule (HTTPRouteRequestMultipleMirrors).
      result.mirrors.push({ filter: filter.requestMirror, field: fField });
      continue;
    }
    if (seen.has(filter.type)) {
      result.error = {
        reason: Reason.UnsupportedValue,
        field: `${fField}.type`,
        message: `Cannot repeat filter ${filter.type} in one rule`,
      };
      return result;
    }
    seen.add(filter.type);
    const compiled = compileFilter(filter, fField, allPathPrefix, backendLevel);
    if ("reason" in compiled) {
      if (compiled.reason === "unsupported") {
        result.unsupported ??= {
          reason: Reason.UnsupportedValue,
          field: compiled.field,
          message: compiled.message,
        };
      } else {
        result.error = {
          reason: Reason.UnsupportedValue,
          field: compiled.field,
          message: compiled.message,
        };
        return result;
      }
    } else {
      result.filters.push(compiled);
    }
  }
  return result;
}

type Failure = { reason: "unsupported" | "invalid"; field: string; message: string };

function compileFilter(
  filter: HTTPRouteFilter,
  field: string,
  allPathPrefix: boolean,
  backendLevel: boolean,
): FilterConfig | Failure {
  const missing = (name: string): Failure => ({
    reason: "invalid",
    field: `${field}.${name}`,
    message: `Cannot use ${filter.type} filter: ${name} is missing`,
  });
  switch (filter.type) {
    case "RequestHeaderModifier":
      if (!filter.requestHeaderModifier) return missing("requestHeaderModifier");
      return {
        type: "RequestHeaderModifier",
        modifier: headerModifier(filter.requestHeaderModifier),
      };
    case "ResponseHeaderModifier":
      if (!filter.responseHeaderModifier) return missing("responseHeaderModifier");
      return {
        type: "ResponseHeaderModifier",
        modifier: headerModifier(filter.responseHeaderModifier),
      };
    case "RequestRedirect":
      if (backendLevel) break;
      if (!filter.requestRedirect) return missing("requestRedirect");
      return compileRedirect(filter.requestRedirect, field, allPathPrefix);
    case "CORS":
      if (backendLevel) break;
      if (!filter.cors) return missing("cors");
      return compileCors(filter.cors);
    case "URLRewrite":
      if (backendLevel) break;
      if (!filter.urlRewrite) return missing("urlRewrite");
      return compileRewrite(filter.urlRewrite, field, allPathPrefix);
  }
  return {
    reason: "unsupported",
    field: `${field}.type`,
    message: `Cannot apply filter ${JSON.stringify(filter.type)}${
      backendLevel ? " on a backendRef" : ""
    }: it is not supported by this gateway; matching requests get 500`,
  };
}

function compileRedirect(
  redirect: HTTPRequestRedirectFilter,
  field: string,
  allPathPrefix: boolean,
): FilterConfig | Failure {
  const statusCode = redirect.statusCode ?? 302;
  if (!REDIRECT_CODES.has(statusCode)) {
    return {
      reason: "invalid",
      field: `${field}.requestRedirect.statusCode`,
      message: `Cannot redirect with status ${statusCode}: expected 301, 302, 303, 307 or 308`,
    };
  }
  if (redirect.scheme !== undefined && redirect.scheme !== "http" && redirect.scheme !== "https") {
    return {
      reason: "invalid",
      field: `${field}.requestRedirect.scheme`,
      message: `Cannot redirect to scheme ${
        JSON.stringify(redirect.scheme)
      }: expected http or https`,
    };
  }
  if (
    redirect.port !== undefined &&
    !(Number.isInteger(redirect.port) && redirect.port >= 1 && redirect.port <= 65535)
  ) {
    return {
      reason: "invalid",
      field: `${field}.requestRedirect.port`,
      message: `Cannot redirect to port ${redirect.port}: expected 1-65535`,
    };
  }
  const config: FilterConfig = {
    type: "RequestRedirect",
    statusCode: statusCode as 301 | 302 | 303 | 307 | 308,
  };
  if (redirect.scheme !== undefined) config.scheme = redirect.scheme;
  if (redirect.hostname !== undefined) config.hostname = redirect.hostname;
  if (redirect.port !== undefined) config.port = redirect.port;
  if (redirect.path !== undefined) {
    const path = pathModifier(redirect.path, `${field}.requestRedirect.path`, allPathPrefix);
    if ("reason" in path) return path;
    config.path = path;
  }
  return config;
}

function compileRewrite(
  rewrite: HTTPURLRewriteFilter,
  field: string,
  allPathPrefix: boolean,
): FilterConfig | Failure {
  const config: FilterConfig = { type: "URLRewrite" };
  if (rewrite.hostname !== undefined) config.hostname = rewrite.hostname;
  if (rewrite.path !== undefined) {
    const path = pathModifier(rewrite.path, `${field}.urlRewrite.path`, allPathPrefix);
    if ("reason" in path) return path;
    config.path = path;
  }
  return config;
}

function headerModifier(filter: HTTPHeaderFilter): HeaderModifierConfig {
  return {
    set: (filter.set ?? []).map(({ name, value }) => ({ name, value })),
    add: (filter.add ?? []).map(({ name, value }) => ({ name, value })),
    remove: [...(filter.remove ?? [])],
  };
}

function pathModifier(
  modifier: HTTPPathModifier,
  field: string,
  allPathPrefix: boolean,
): PathModifierConfig | Failure {
  if (modifier.type === "ReplaceFullPath") {
    if (modifier.replaceFullPath === undefined) {
      return {
        reason: "invalid",
        field: `${field}.replaceFullPath`,
        message: "Cannot use ReplaceFullPath: replaceFullPath is missing",
      };
    }
    return { type: "ReplaceFullPath", value: modifier.replaceFullPath };
  }
  if (modifier.type === "ReplacePrefixMatch") {
    if (modifier.replacePrefixMatch === undefined) {
      return {
        reason: "invalid",
        field: `${field}.replacePrefixMatch`,
        message: "Cannot use ReplacePrefixMatch: replacePrefixMatch is missing",
      };
    }
    if (!allPathPrefix) {
      return {
        reason: "invalid",
        field: `${field}.type`,
        message:
          "Cannot use ReplacePrefixMatch: every match of the rule must be a PathPrefix match",
      };
    }
    return { type: "ReplacePrefixMatch", value: modifier.replacePrefixMatch };
  }
  return {
    reason: "invalid",
    field: `${field}.type`,
    message: `Cannot use path modifier ${
      JSON.stringify(modifier.type)
    }: expected ReplaceFullPath or ReplacePrefixMatch`,
  };
}
