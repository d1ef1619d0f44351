/**
 * The endpoints both the admin and the telemetry app serve: liveness,
 * readiness and Prometheus metrics, plus the JSON error conventions the two
 * apps share (`{ "error": "..." }`, no stack traces, 404 for unknown paths and
 * 405 with `Allow` for a known path asked with the wrong method).
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { addErrorHandlers, addProbeRoutes, type ProbeDeps } from "./probe_routes.ts";
 * import { createLogger } from "../log/logger.ts";
 * declare const deps: ProbeDeps;
 * const app = new Hono();
 * addProbeRoutes(app, deps);
 * addErrorHandlers(app, createLogger());
 * ```
 * @module
 */
import type { Context, Hono } from "hono";
import type { Registry } from "prom-client";
import type { Logger } from "../log/logger.ts";
import type { GatewayState } from "./gateway_state.ts";

/** What the probe routes read. */
export interface ProbeDeps {
  state: Pick<GatewayState, "readiness">;
  /** Any object holding the registry; `GatewayMetrics` does. */
  metrics: { readonly registry: Registry };
  logger: Logger;
}

/** Responses of these apps are live state: never cache them. */
const NO_STORE = { "cache-control": "no-store" };

/** A JSON error body `{ "error": message }`. */
export function jsonError(c: Context, status: 400 | 404 | 405 | 500 | 503, message: string) {
  return c.json({ error: message }, status, NO_STORE);
}

/** A JSON body that is never cached. */
export function jsonNoStore(c: Context, body: unknown, status: 200 | 422 | 503 = 200) {
  return c.json(body, status, NO_STORE);
}

/**
 * Registers `path` for `methods` (HEAD follows GET) and answers 405 with an
 * `Allow` header for every other method on it.
 */
export function allowOnly(app: Hono, path: string, methods: readonly string[]): void {
  const allow = methods.includes("GET") ? [...methods, "HEAD"].join(", ") : methods.join(", ");
  app.all(path, (c) => {
    c.header("allow", allow);
    return jsonError(c, 405, `Cannot ${c.req.method} ${path}: allowed methods are ${allow}`);
  });
}

/** `GET /healthz`, `GET /readyz`, `GET /metrics`. */
export function addProbeRoutes(app: Hono, deps: ProbeDeps): void {
  app.get("/healthz", (c) => c.text("ok", 200, NO_STORE));
  allowOnly(app, "/healthz", ["GET"]);

  app.get("/readyz", (c) => {
    const { ready, reasons } = deps.state.readiness();
    return jsonNoStore(c, { ready, reasons }, ready ? 200 : 503);
  });
  allowOnly(app, "/readyz", ["GET"]);

  app.get("/metrics", async (c) => {
    const { registry } = deps.metrics;
    const text = await registry.metrics();
    return c.body(text, 200, { "content-type": registry.contentType, ...NO_STORE });
  });
  allowOnly(app, "/metrics", ["GET"]);
}

/** 404 for unknown paths and a stack-free 500 for our own bugs (logged). */
export function addErrorHandlers(app: Hono, logger: Logger): void {
  app.notFound((c) => jsonError(c, 404, `Cannot find endpoint: current value is "${c.req.path}"`));
  app.onError((err, c) => {
    logger.error("admin request failed", { method: c.req.method, path: c.req.path, error: err });
    return jsonError(c, 500, `Cannot serve ${c.req.method} ${c.req.path}: internal error`);
  });
}
