/**
 * The admin API's front door, a Hono middleware run before every route:
 *
 * - **Host and Origin** (DNS rebinding and cross-site requests): a browser
 *   on the node can be made to send requests to 127.0.0.1 from a page of
 *   any site. The `Host` must be an IP address, `localhost`, or a name
 *   given with `--admin-allowed-host`; a rebound name (`evil.example`
 *   resolving to 127.0.0.1) is not one. When an `Origin` is sent (browsers
 *   send it on every cross-site request and every POST) it must be the
 *   admin API's own origin. Either failure is a 403.
 * - **Bearer token** (`--admin-token-file`): every path but `/healthz` wants
 *   `Authorization: Bearer <token>`; a missing or wrong one is a 401.
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { hostFromAuthority } from "../router/host.ts";
import type { AdminTokens } from "./admin_token.ts";

/** Options of {@linkcode createAdminGuard}. */
export interface AdminGuardOptions {
  /** Host names accepted besides IP addresses and `localhost` (lower-case). */
  allowedHosts?: readonly string[];
  /** Accepted bearer tokens; absent: no token is asked for. */
  tokens?: AdminTokens;
}

const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const NO_STORE = { "cache-control": "no-store" };

/**
 * Whether `authority` (a `Host` value) names this admin API rather than a
 * name an attacker controls: IP literals and `localhost` cannot be rebound.
 */
export function isAllowedAdminHost(authority: string, allowed: readonly string[] = []): boolean {
  const host = hostFromAuthority(authority);
  if (host === null) return false;
  return host === "localhost" || IPV4.test(host) || host.includes(":") || allowed.includes(host);
}

/**
 * The middleware.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { createAdminGuard } from "./admin_guard.ts";
 * const app = new Hono();
 * app.use(createAdminGuard({ allowedHosts: ["admin.internal"] }));
 * ```
 */
export function createAdminGuard(options: AdminGuardOptions): MiddlewareHandler {
  const allowed = (options.allowedHosts ?? []).map((h) => h.toLowerCase());
  return async (c, next) => {
    const host = c.req.header("host") ?? new URL(c.req.url).host;
    if (!isAllowedAdminHost(host, allowed)) {
      return c.json(
        { error: `Cannot serve the admin API for host "${host}": not an allowed host` },
        403,
        NO_STORE,
      );
    }
    const origin = c.req.header("origin");
    if (origin !== undefined) {
      const own = `${new URL(c.req.url).protocol}//${host}`.toLowerCase();
      if (origin.toLowerCase() !== own) {
        return c.json(
          { error: `Cannot serve the admin API to origin "${origin}": not its own origin` },
          403,
          NO_STORE,
        );
      }
    }
    if (options.tokens !== undefined && c.req.path !== "/healthz") {
      const header = c.req.header("authorization") ?? "";
      const match = /^Bearer +(\S+)\s*$/i.exec(header);
      if (match === null || !(await options.tokens.accepts(match[1]))) {
        return c.json(
          { error: "Cannot serve the admin API: a valid bearer token is required" },
          401,
          {
            ...NO_STORE,
            "www-authenticate": 'Bearer realm="serval-admin"',
          },
        );
      }
    }
    await next();
  };
}
