/**
 * The `Location` of a RequestRedirect filter, with the port rules of
 * `HTTPRequestRedirectFilter` (Gateway API v1): an explicit port wins; else a
 * redirect scheme implies its well-known port; else the listener's port is
 * kept. Port 80 with http and 443 with https are never written.
 * @module
 */
import type { FilterConfig, MatchConfig } from "../model/config.ts";
import { modifyPath } from "./path_modifier.ts";

/** The RequestRedirect variant of `FilterConfig`. */
export type RedirectFilter = Extract<FilterConfig, { type: "RequestRedirect" }>;

/** What the redirect is computed from. */
export interface RedirectInput {
  /** Scheme the request arrived with (the listener's protocol). */
  scheme: "http" | "https";
  /** Request host name, without port. */
  host: string;
  /** The listener port the request arrived on. */
  listenerPort: number;
  /** Normalised request path (what the rule matched). */
  path: string;
  /** Raw query string without `?` (kept as is), possibly empty. */
  query: string;
  match: MatchConfig;
}

const WELL_KNOWN_PORT = { http: 80, https: 443 } as const;

/**
 * The absolute `Location` URL for `filter` applied to a request.
 *
 * @example
 * ```ts
 * import { redirectLocation } from "./redirect.ts";
 * import type { MatchConfig } from "../model/config.ts";
 * const match: MatchConfig = {
 *   id: "m",
 *   rule: "r",
 *   route: "ns/r",
 *   path: { type: "PathPrefix", value: "/" },
 *   headers: [],
 *   queryParams: [],
 * };
 * redirectLocation(
 *   { type: "RequestRedirect", scheme: "https", statusCode: 301 },
 *   { scheme: "http", host: "example.org", listenerPort: 8080, path: "/a", query: "", match },
 * ); // "https://example.org/a"
 * ```
 */
export function redirectLocation(filter: RedirectFilter, input: RedirectInput): string {
  const scheme = filter.scheme ?? input.scheme;
  const port = filter.port ??
    (filter.scheme !== undefined ? WELL_KNOWN_PORT[filter.scheme] : input.listenerPort);
  const host = filter.hostname ?? input.host;
  const authority = port === WELL_KNOWN_PORT[scheme]
    ? formatHost(host)
    : `${formatHost(host)}:${port}`;
  const path = filter.path ? modifyPath(input.path, input.match, filter.path) : input.path;
  const query = input.query === "" ? "" : `?${input.query}`;
  return `${scheme}://${authority}${path}${query}`;
}

/** IPv6 literals need brackets in a URL authority. */
function formatHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}
