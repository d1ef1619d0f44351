/**
 * Reads the query of `GET /explain` into the `RouteRequest` the data plane
 * would route: the host goes through the same authority parsing and the path
 * through the same normalisation, so an explanation describes what a real
 * request would get.
 *
 * Parameters: `host` (required; `host:port` also sets the port), `path`
 * (required, may carry `?query`; URL-encode it), `method` (default `GET`),
 * `port` (optional when the config has one port or `host` carries it),
 * `address` (the Gateway's pool address, with `--gateway-address-pool`), and
 * `header=name:value`, repeatable.
 *
 * @example
 * ```ts
 * import { parseExplainQuery } from "./explain_query.ts";
 * const parsed = parseExplainQuery(
 *   new URLSearchParams("host=api.example.com&path=/v1/users?page=2&header=x-env:canary"),
 *   [80],
 * );
 * ```
 * @module
 */
import { hostFromAuthority } from "../router/host.ts";
import { normalizePath } from "../router/normalize_path.ts";
import type { RouteRequest } from "../router/router.ts";

/** A parsed request, or why the query cannot describe one. */
export type ExplainQuery = { ok: true; request: RouteRequest } | { ok: false; error: string };

const PARAMETERS = new Set(["host", "path", "method", "port", "address", "header"]);
const ADDRESS = /^[0-9A-Fa-f.:]+$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Methods the Fetch standard upper-cases, as `Deno.serve` hands them over. */
const NORMALISED_METHODS = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);

/**
 * Parses the `/explain` query. `ports` are the ports of the current config:
 * with exactly one, `port` may be left out.
 */
export function parseExplainQuery(params: URLSearchParams, ports: readonly number[]): ExplainQuery {
  const fail = (error: string): ExplainQuery => ({ ok: false, error });
  for (const name of params.keys()) {
    if (!PARAMETERS.has(name)) {
      return fail(
        `Cannot explain request: unknown parameter "${name}" (expected host, path, method, port, address, header)`,
      );
    }
  }
  for (const name of ["host", "path", "method", "port", "address"]) {
    if (params.getAll(name).length > 1) {
      return fail(`Cannot explain request: parameter "${name}" is given more than once`);
    }
  }

  const authority = params.get("host");
  if (authority === null || authority === "") {
    return fail("Cannot explain request: parameter host is required");
  }
  const host = hostFromAuthority(authority);
  if (host === null) return fail(`Cannot parse host: current value is "${authority}"`);

  const target = params.get("path");
  if (target === null || target === "") {
    return fail("Cannot explain request: parameter path is required");
  }
  const q = target.indexOf("?");
  const rawPath = q === -1 ? target : target.slice(0, q);
  const path = normalizePath(rawPath);
  if (path === null) return fail(`Cannot parse path: current value is "${rawPath}"`);
  const query = q === -1 ? "" : target.slice(q + 1);

  let method = params.get("method") ?? "GET";
  if (!TOKEN.test(method)) return fail(`Cannot parse method: current value is "${method}"`);
  if (NORMALISED_METHODS.has(method.toUpperCase())) method = method.toUpperCase();

  const port = pickPort(params.get("port"), authority, [...new Set(ports)]);
  if (typeof port === "string") return fail(port);
  const address = params.get("address") ?? undefined;
  if (address !== undefined && !ADDRESS.test(address)) {
    return fail(`Cannot parse address: current value is "${address}" (expected an IP address)`);
  }

  const headers = new Headers();
  for (const header of params.getAll("header")) {
    const colon = header.indexOf(":");
    const name = colon === -1 ? "" : header.slice(0, colon).trim();
    if (!TOKEN.test(name)) {
      return fail(`Cannot parse header: current value is "${header}" (expected name:value)`);
    }
    try {
      headers.append(name, header.slice(colon + 1).trim());
    } catch {
      return fail(`Cannot parse header: current value is "${header}" (invalid value)`);
    }
  }
  // A real request always carries Host; header matches may look at it.
  if (!headers.has("host")) headers.set("host", authority);

  return {
    ok: true,
    request: {
      port,
      ...(address === undefined ? {} : { address }),
      host,
      method,
      path,
      query,
      headers,
    },
  };
}

/** The port to route on, or an error message. `authority` was validated by `hostFromAuthority`. */
function pickPort(
  param: string | null,
  authority: string,
  ports: readonly number[],
): number | string {
  const text = param ?? authorityPort(authority);
  if (text !== undefined) {
    const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
    if (!(port >= 1 && port <= 65535)) {
      return `Cannot parse port: current value is "${text}" (expected 1-65535)`;
    }
    return port;
  }
  if (ports.length === 1) return ports[0];
  const known = ports.length === 0 ? "none" : ports.join(", ");
  return `Cannot explain request: parameter port is required when the config has several ports (configured: ${known})`;
}

/** The port of `host:port` or `[v6]:port`, if one is written. */
function authorityPort(authority: string): string | undefined {
  const colon = authority.lastIndexOf(":");
  if (colon === -1 || colon < authority.lastIndexOf("]")) return undefined;
  const digits = authority.slice(colon + 1);
  return digits === "" ? undefined : digits;
}
