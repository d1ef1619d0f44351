/**
 * The admin API (bound to 127.0.0.1 by default, never to the pod IP):
 *
 * - `GET /healthz` → 200 `ok`.
 * - `GET /readyz` → 200 `{ ready: true, reasons: [] }`, or 503 with the reasons.
 * - `GET /config` → the running state as JSON (see `config_dump.ts`), private keys removed.
 * - `POST /reload` → re-reads the source and rebuilds once: 200 `{ ok: true,
 *   message, problems }` when the source read cleanly and a config was swapped in;
 *   422 with the same shape when the source reported problems (each malformed
 *   object keeps its last good version, the rest is served) or the rebuild failed
 *   (the last good table keeps serving): fix the input and reload again; 500
 *   `{ error }` when the reload itself threw.
 * - `GET /metrics` → Prometheus text.
 * - `GET /explain?host=H&path=P[&method=M][&port=N][&address=A][&header=name:value]...` → the
 *   router's explanation for that request (see `explain_query.ts`); 400 for a bad
 *   query, 503 before the first table.
 *
 * Anything else is a 404, a wrong method a 405; errors are `{ "error": "..." }`.
 * Before any of these, `admin_guard.ts` checks Host and Origin (403) and, when
 * tokens are configured, the bearer token (401; `/healthz` is exempt).
 *
 * @example
 * ```ts
 * import { type AdminAppDeps, createAdminApp } from "./admin_app.ts";
 * declare const deps: AdminAppDeps;
 * const app = createAdminApp(deps);
 * Deno.serve({ hostname: "127.0.0.1", port: 9901 }, app.fetch);
 * ```
 * @module
 */
import { errorMessage } from "../log/error_message.ts";
import { Hono } from "hono";
import type { Registry } from "prom-client";
import type { Logger } from "../log/logger.ts";
import type { RouteRequest, RouteTable } from "../router/router.ts";
import type { GatewayControl, GatewayState } from "./gateway_state.ts";
import { type AdminGuardOptions, createAdminGuard } from "./admin_guard.ts";
import { buildConfigDump, stringifyRedacted } from "./config_dump.ts";
import { parseExplainQuery } from "./explain_query.ts";
import {
  addErrorHandlers,
  addProbeRoutes,
  allowOnly,
  jsonError,
  jsonNoStore,
} from "./probe_routes.ts";

/** Dependencies of {@linkcode createAdminApp}. */
export interface AdminAppDeps {
  state: GatewayState;
  control: GatewayControl;
  /** Any object holding the registry; `GatewayMetrics` does. */
  metrics: { readonly registry: Registry };
  /** The router's explanation of how `table` routes `request` (returned as JSON). */
  explain: (table: RouteTable, request: RouteRequest) => unknown;
  logger: Logger;
  version: string;
  /** Allowed host names and bearer tokens; the Host and Origin checks always run. */
  guard?: AdminGuardOptions;
}

/** Creates the admin app; serve it with `Deno.serve(..., app.fetch)`. */
export function createAdminApp(deps: AdminAppDeps): Hono {
  const { state, control, logger } = deps;
  const app = new Hono();
  app.use(createAdminGuard(deps.guard ?? {}));
  addProbeRoutes(app, { state, metrics: deps.metrics, logger });

  app.get("/config", (c) => {
    const body = stringifyRedacted(buildConfigDump(state, deps.version));
    return c.body(body, 200, {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
    });
  });
  allowOnly(app, "/config", ["GET"]);

  app.post("/reload", async (c) => {
    let outcome;
    try {
      outcome = await control.reload();
    } catch (err) {
      logger.error("reload failed", { error: err });
      const reason = errorMessage(err);
      return jsonError(c, 500, `Cannot reload: ${reason}`);
    }
    const { ok, message, problems } = outcome;
    logger.info("reload requested through the admin API", { ok, problems: problems.length });
    return jsonNoStore(c, { ok, message, problems }, ok ? 200 : 422);
  });
  allowOnly(app, "/reload", ["POST"]);

  app.get("/explain", (c) => {
    const table = state.table();
    if (!table) return jsonError(c, 503, "Cannot explain request: no route table was built yet");
    const ports = table.config.ports.map((p) => p.port);
    const parsed = parseExplainQuery(new URL(c.req.url).searchParams, ports);
    if (!parsed.ok) return jsonError(c, 400, parsed.error);
    return jsonNoStore(c, deps.explain(table, parsed.request));
  });
  allowOnly(app, "/explain", ["GET"]);

  addErrorHandlers(app, logger);
  return app;
}
