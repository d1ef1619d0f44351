/**
 * `HTTPRouteFilter` validation, for rule filters and backend filters alike:
 * the field matching the `type` must be set and no other, at most one filter
 * of each core type, never both RequestRedirect and URLRewrite, and each
 * filter's own fields. An unknown `type` is kept: the spec wants it reported
 * as an `UnsupportedValue` condition by `translate`, not dropped here.
 *
 * @example
 * ```ts
 * import { FieldChecker } from "./validate_fields.ts";
 * import { readFilters } from "./validate_http_filter.ts";
 * const c = new FieldChecker();
 * readFilters(c, [{ type: "RequestRedirect" }], "spec.rules[0].filters");
 * c.errors[0].field; // "spec.rules[0].filters[0].requestRedirect"
 * ```
 * @module
 */
import type {
  HTTPHeader,
  HTTPHeaderFilter,
  HTTPPathModifier,
  HTTPRequestRedirectFilter,
  HTTPRouteFilter,
  HTTPURLRewriteFilter,
} from "./http_route_types.ts";
import { type FieldChecker, put } from "./validate_fields.ts";
import { readCors } from "./validate_http_extended.ts";
import { readBackendRef, readLocalRef } from "./validate_references.ts";
import { HEADER_NAME, PORT, PRECISE_HOSTNAME } from "./validate_rules.ts";

/** Filter `type` → the field that carries its configuration. */
const CONFIG_FIELD: Record<string, string> = {
  RequestHeaderModifier: "requestHeaderModifier",
  ResponseHeaderModifier: "responseHeaderModifier",
  RequestMirror: "requestMirror",
  RequestRedirect: "requestRedirect",
  URLRewrite: "urlRewrite",
  ExtensionRef: "extensionRef",
  CORS: "cors",
  ExternalAuth: "externalAuth",
};
const CONFIG_FIELDS = Object.values(CONFIG_FIELD);
/** Types the CRD allows once per list (RequestMirror may repeat). */
const SINGLE = new Set([
  "RequestHeaderModifier",
  "ResponseHeaderModifier",
  "RequestRedirect",
  "URLRewrite",
  "CORS",
]);
const FILTER_TYPE = {
  required: true,
  minLength: 1,
  maxLength: 253,
  pattern: /^[A-Za-z0-9]([-A-Za-z0-9.\/]*[A-Za-z0-9])?$/,
  patternHint: 'a filter type such as "RequestHeaderModifier"',
};
const HEADER_VALUE = { required: true, minLength: 1, maxLength: 4096 };

function readHeaders(c: FieldChecker, raw: unknown, field: string): HTTPHeader[] | undefined {
  const headers = c.listOf(raw, field, { maxItems: 16 }, (item, f) => {
    const o = c.object(item, f, true);
    if (!o) return undefined;
    return {
      name: c.string(o.name, `${f}.name`, HEADER_NAME) ?? "",
      value: c.string(o.value, `${f}.value`, HEADER_VALUE) ?? "",
    };
  });
  c.unique(headers, field, (h) => h.name || undefined, "header name");
  return headers;
}

function readHeaderFilter(
  c: FieldChecker,
  raw: unknown,
  field: string,
): HTTPHeaderFilter | undefined {
  const o = c.object(raw, field);
  if (!o) return undefined;
  const filter: HTTPHeaderFilter = {};
  put(filter, "set", readHeaders(c, o.set, `${field}.set`));
  put(filter, "add", readHeaders(c, o.add, `${field}.add`));
  const remove = c.stringList(o.remove, `${field}.remove`, { maxItems: 16 }, HEADER_NAME);
  c.unique(remove, `${field}.remove`, (name) => name, "header name");
  put(filter, "remove", remove);
  return filter;
}

/** Reads an `HTTPPathModifier`, whose `type` must agree with the field that is set. */
export function readPathModifier(
  c: FieldChecker,
  raw: unknown,
  field: string,
): HTTPPathModifier | undefined {
  const o = c.object(raw, field);
  if (!o) return undefined;
  const type = c.string(o.type, `${field}.type`, {
    required: true,
    oneOf: ["ReplaceFullPath", "ReplacePrefixMatch"],
  }) as HTTPPathModifier["type"] | undefined;
  const modifier: HTTPPathModifier = { type: type ?? "ReplaceFullPath" };
  put(
    modifier,
    "replaceFullPath",
    c.string(o.replaceFullPath, `${field}.replaceFullPath`, { maxLength: 1024 }),
  );
  put(
    modifier,
    "replacePrefixMatch",
    c.string(o.replacePrefixMatch, `${field}.replacePrefixMatch`, { maxLength: 1024 }),
  );
  for (
    const [t, key] of [["ReplaceFullPath", "replaceFullPath"], [
      "ReplacePrefixMatch",
      "replacePrefixMatch",
    ]] as const
  ) {
    if (type === t && modifier[key] === undefined) {
      c.error(`${field}.${key}`, `is required when type is ${t}`);
    }
    if (type !== undefined && type !== t && modifier[key] !== undefined) {
      c.error(`${field}.${key}`, `must not be set when type is ${type}`);
    }
  }
  return modifier;
}

function readRedirect(
  c: FieldChecker,
  raw: unknown,
  field: string,
): HTTPRequestRedirectFilter | undefined {
  const o = c.object(raw, field);
  if (!o) return undefined;
  const redirect: HTTPRequestRedirectFilter = {};
  put(
    redirect,
    "scheme",
    c.string(o.scheme, `${field}.scheme`, { oneOf: ["http", "https"] }) as
      | "http"
      | "https"
      | undefined,
  );
  put(redirect, "hostname", c.string(o.hostname, `${field}.hostname`, PRECISE_HOSTNAME));
  put(redirect, "path", readPathModifier(c, o.path, `${field}.path`));
  put(redirect, "port", c.integer(o.port, `${field}.port`, PORT));
  put(
    redirect,
    "statusCode",
    c.integer(o.statusCode, `${field}.statusCode`, { oneOf: [301, 302, 303, 307, 308] }),
  );
  return redirect;
}

function readRewrite(
  c: FieldChecker,
  raw: unknown,
  field: string,
): HTTPURLRewriteFilter | undefined {
  const o = c.object(raw, field);
  if (!o) return undefined;
  const rewrite: HTTPURLRewriteFilter = {};
  put(rewrite, "hostname", c.string(o.hostname, `${field}.hostname`, PRECISE_HOSTNAME));
  put(rewrite, "path", readPathModifier(c, o.path, `${field}.path`));
  return rewrite;
}

function readMirror(
  c: FieldChecker,
  raw: unknown,
  field: string,
): HTTPRouteFilter["requestMirror"] | undefined {
  const o = c.object(raw, field);
  if (!o) return undefined;
  const mirror: NonNullable<HTTPRouteFilter["requestMirror"]> = {
    backendRef: readBackendRef(c, o.backendRef, `${field}.backendRef`) ?? { name: "" },
  };
  put(mirror, "percent", c.integer(o.percent, `${field}.percent`, { min: 0, max: 100 }));
  const fr = c.object(o.fraction, `${field}.fraction`);
  if (fr) {
    const numerator =
      c.integer(fr.numerator, `${field}.fraction.numerator`, { required: true, min: 0 }) ?? 0;
    const denominator = c.integer(fr.denominator, `${field}.fraction.denominator`, { min: 1 });
    if (numerator > (denominator ?? 100)) {
      c.error(
        `${field}.fraction`,
        `numerator must be less than or equal to denominator, got ${numerator}/${
          denominator ?? 100
        }`,
      );
    }
    mirror.fraction = denominator === undefined ? { numerator } : { numerator, denominator };
    if (mirror.percent !== undefined) c.error(field, "must not set both percent and fraction");
  }
  return mirror;
}

function readFilter(c: FieldChecker, raw: unknown, field: string): HTTPRouteFilter | undefined {
  const o = c.object(raw, field, true);
  if (!o) return undefined;
  const type = c.string(o.type, `${field}.type`, FILTER_TYPE);
  const filter: HTTPRouteFilter = { type: type ?? "" };
  const expected = type === undefined ? undefined : CONFIG_FIELD[type];
  for (const key of CONFIG_FIELDS) {
    if (key !== expected && o[key] != null) {
      c.error(`${field}.${key}`, `must not be set when type is ${type}`);
    }
  }
  if (expected !== undefined && o[expected] == null) {
    c.error(`${field}.${expected}`, `is required when type is ${type}`);
  }
  put(
    filter,
    "requestHeaderModifier",
    readHeaderFilter(c, o.requestHeaderModifier, `${field}.requestHeaderModifier`),
  );
  put(
    filter,
    "responseHeaderModifier",
    readHeaderFilter(c, o.responseHeaderModifier, `${field}.responseHeaderModifier`),
  );
  put(filter, "requestMirror", readMirror(c, o.requestMirror, `${field}.requestMirror`));
  put(filter, "requestRedirect", readRedirect(c, o.requestRedirect, `${field}.requestRedirect`));
  put(filter, "urlRewrite", readRewrite(c, o.urlRewrite, `${field}.urlRewrite`));
  put(filter, "cors", readCors(c, o.cors, `${field}.cors`));
  if (o.extensionRef != null) {
    put(filter, "extensionRef", readLocalRef(c, o.extensionRef, `${field}.extensionRef`));
  }
  return filter;
}

/** Reads a filter list (at most 16) with the CRD's cross-filter rules. */
export function readFilters(
  c: FieldChecker,
  raw: unknown,
  field: string,
): HTTPRouteFilter[] | undefined {
  const filters = c.listOf(raw, field, { maxItems: 16 }, (item, f) => readFilter(c, item, f));
  if (!filters) return undefined;
  const seen = new Set<string>();
  for (let i = 0; i < filters.length; i++) {
    const t = filters[i].type;
    if (SINGLE.has(t)) {
      if (seen.has(t)) {
        c.error(`${field}[${i}].type`, `must not repeat: only one ${t} filter is allowed`);
      }
      seen.add(t);
    }
  }
  if (seen.has("RequestRedirect") && seen.has("URLRewrite")) {
    c.error(field, "must not contain both RequestRedirect and URLRewrite");
  }
  return filters;
}
