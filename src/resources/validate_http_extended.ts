/**
 * Validation of the HTTPRoute fields of extended features: the `CORS` filter
 * (`HTTPCORSFilter`) and a rule's `retry` (`HTTPRouteRetry`), with the CRD's
 * limits and admission rules (a `*` alone in its list, origins of the form
 * `<scheme>://<host>[:<port>]`, retry codes 400–599).
 *
 * @example
 * ```ts
 * import { FieldChecker } from "./validate_fields.ts";
 * import { readCors } from "./validate_http_extended.ts";
 * const c = new FieldChecker();
 * readCors(c, { allowOrigins: ["*", "https://a.example"] }, "cors");
 * c.errors[0].field; // "cors.allowOrigins"
 * ```
 * @module
 */
import type { HTTPCORSFilter, HTTPRouteRetry } from "./http_route_types.ts";
import { type FieldChecker, put } from "./validate_fields.ts";
import { DURATION, HEADER_NAME } from "./validate_rules.ts";

/** `CORSOrigin`: `*`, or `http(s)://` and a host whose first label may be `*`, and a port. */
const ORIGIN = {
  maxLength: 253,
  pattern: /^(\*|https?:\/\/((\*\.)?([a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+|\*)(:[0-9]{1,5})?)$/,
  patternHint: 'an origin such as "https://example.com", "https://*.example.com:8443" or "*"',
};
/** `HTTPMethodWithWildcard`. */
const METHOD = {
  oneOf: ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "*"],
};
const HEADER_OR_WILDCARD = {
  ...HEADER_NAME,
  pattern: /^(\*|[A-Za-z0-9!#$%&'*+\-.^_`|~]+)$/,
};

function wildcardAlone(c: FieldChecker, list: string[] | undefined, field: string): void {
  if (list !== undefined && list.includes("*") && list.length > 1) {
    c.error(field, `must not contain "*" alongside other values, got ${list.join(", ")}`);
  }
}

/** Reads an `HTTPCORSFilter`. */
export function readCors(c: FieldChecker, raw: unknown, field: string): HTTPCORSFilter | undefined {
  const o = c.object(raw, field);
  if (!o) return undefined;
  const cors: HTTPCORSFilter = {};
  const origins = c.stringList(o.allowOrigins, `${field}.allowOrigins`, { maxItems: 64 }, ORIGIN);
  wildcardAlone(c, origins, `${field}.allowOrigins`);
  put(cors, "allowOrigins", origins);
  put(cors, "allowCredentials", c.boolean(o.allowCredentials, `${field}.allowCredentials`));
  const methods = c.stringList(o.allowMethods, `${field}.allowMethods`, { maxItems: 9 }, METHOD);
  wildcardAlone(c, methods, `${field}.allowMethods`);
  put(cors, "allowMethods", methods);
  const headers = c.stringList(
    o.allowHeaders,
    `${field}.allowHeaders`,
    { maxItems: 64 },
    HEADER_OR_WILDCARD,
  );
  wildcardAlone(c, headers, `${field}.allowHeaders`);
  put(cors, "allowHeaders", headers);
  put(
    cors,
    "exposeHeaders",
    c.stringList(o.exposeHeaders, `${field}.exposeHeaders`, { maxItems: 64 }, HEADER_OR_WILDCARD),
  );
  put(cors, "maxAge", c.integer(o.maxAge, `${field}.maxAge`, { min: 1, max: 2147483647 }));
  return cors;
}

/** Reads an `HTTPRouteRetry`. */
export function readRetry(
  c: FieldChecker,
  raw: unknown,
  field: string,
): HTTPRouteRetry | undefined {
  const o = c.object(raw, field);
  if (!o) return undefined;
  const retry: HTTPRouteRetry = {};
  const codes = c.listOf(
    o.codes,
    `${field}.codes`,
    {},
    (item, f) => c.integer(item, f, { required: true, min: 400, max: 599 }),
  );
  put(retry, "codes", codes);
  put(retry, "attempts", c.integer(o.attempts, `${field}.attempts`, { min: 1 }));
  put(retry, "backoff", c.string(o.backoff, `${field}.backoff`, DURATION));
  return retry;
}
