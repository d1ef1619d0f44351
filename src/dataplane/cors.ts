/**
 * The `CORS` filter in the data plane: the gateway answers preflights itself
 * and adds the `Access-Control-*` headers to responses of allowed origins.
 * The allowed origin is always echoed (never `*`), which the spec permits in
 * every case and requires when credentials are allowed; `Vary: Origin` then
 * keeps shared caches from serving one origin's answer to another.
 *
 * @example
 * ```ts
 * import { corsPreflight } from "./cors.ts";
 * const cors = {
 *   type: "CORS" as const, allowOrigins: ["https://*.example.com"], allowCredentials: false,
 *   allowMethods: ["GET"], allowHeaders: [], exposeHeaders: [], maxAge: 5,
 * };
 * const headers = new Headers({ origin: "https://a.example.com", "access-control-request-method": "GET" });
 * corsPreflight(cors, "OPTIONS", headers)?.status; // 204
 * ```
 * @module
 */
import type { CorsConfig } from "../model/config.ts";
import type { HeaderLookup } from "../router/router.ts";

/** The scheme, host and port of an origin, lower-cased, with the scheme's default port. */
interface Origin {
  scheme: string;
  host: string;
  port: string;
}

const ORIGIN_RE = /^(https?):\/\/([^/:?#]+)(?::([0-9]{1,5}))?$/;

function parseOrigin(value: string): Origin | undefined {
  const m = ORIGIN_RE.exec(value.toLowerCase());
  if (m === null) return undefined;
  return { scheme: m[1], host: m[2], port: m[3] ?? (m[1] === "https" ? "443" : "80") };
}

/**
 * Whether `origin` (the request's `Origin` header) is one of `allowed`. A
 * `*` host label is greedy to the left: `https://*.b.com` allows
 * `https://a.b.com` and `https://x.a.b.com`, not `https://b.com`.
 */
export function originAllowed(allowed: readonly string[], origin: string): boolean {
  const o = parseOrigin(origin);
  if (o === undefined) return allowed.includes("*") && origin.length > 0;
  for (const pattern of allowed) {
    if (pattern === "*") return true;
    const p = parseOrigin(pattern);
    if (p === undefined || p.scheme !== o.scheme || p.port !== o.port) continue;
    if (p.host === "*" || p.host === o.host) return true;
    if (p.host.startsWith("*.") && o.host.endsWith(p.host.slice(1))) return true;
  }
  return false;
}

/**
 * Answers a preflight (`OPTIONS` with `Access-Control-Request-Method`) for a
 * rule with a CORS filter; `undefined` for any other request. A disallowed
 * origin gets 204 without CORS headers, so the browser refuses the request.
 */
export function corsPreflight(
  cors: CorsConfig,
  method: string,
  headers: HeaderLookup,
): Response | undefined {
  if (method !== "OPTIONS") return undefined;
  const origin = headers.get("origin");
  const requestMethod = headers.get("access-control-request-method");
  if (origin === null || requestMethod === null) return undefined;
  const out = new Headers({ vary: "Origin" });
  if (!originAllowed(cors.allowOrigins, origin)) {
    return new Response(null, { status: 204, headers: out });
  }
  out.set("access-control-allow-origin", origin);
  if (cors.allowCredentials) out.set("access-control-allow-credentials", "true");
  if (cors.allowMethods.length > 0) {
    // Echoing the requested method for `*` is valid with or without credentials.
    out.set(
      "access-control-allow-methods",
      cors.allowMethods[0] === "*" ? requestMethod.trim() : cors.allowMethods.join(", "),
    );
  }
  const requestHeaders = headers.get("access-control-request-headers");
  if (requestHeaders !== null && cors.allowHeaders.length > 0) {
    out.set(
      "access-control-allow-headers",
      cors.allowHeaders[0] === "*" ? requestHeaders : cors.allowHeaders.join(", "),
    );
  }
  setExposeHeaders(cors, out);
  out.set("access-control-max-age", String(cors.maxAge));
  return new Response(null, { status: 204, headers: out });
}

/**
 * The CORS headers for the response of an actual (non-preflight) request;
 * empty when the request has no `Origin` or its origin is not allowed.
 */
export function corsResponseHeaders(cors: CorsConfig, headers: HeaderLookup): [string, string][] {
  const origin = headers.get("origin");
  if (origin === null || !originAllowed(cors.allowOrigins, origin)) return [];
  const out = new Headers({ "access-control-allow-origin": origin });
  if (cors.allowCredentials) out.set("access-control-allow-credentials", "true");
  setExposeHeaders(cors, out);
  return [...out];
}

function setExposeHeaders(cors: CorsConfig, out: Headers): void {
  const expose = cors.allowCredentials
    ? cors.exposeHeaders.filter((h) => h !== "*") // `*` is literal with credentials
    : cors.exposeHeaders;
  if (expose.length > 0) out.set("access-control-expose-headers", expose.join(", "));
}

/** Sets `extra` on a response's headers (replacing the backend's own CORS headers) and varies on Origin. */
export function applyCorsHeaders(target: Headers, extra: readonly [string, string][]): void {
  if (extra.length === 0) return;
  for (const [name, value] of extra) target.set(name, value);
  target.append("vary", "Origin");
}
