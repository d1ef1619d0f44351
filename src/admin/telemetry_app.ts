/**
 * The telemetry app, bound to the pod IP (0.0.0.0:9902 by default) so kubelet
 * probes and Prometheus reach it: `GET /healthz`, `GET /readyz`, `GET /metrics`
 * and nothing else. `/config`, `/reload` and `/explain` exist only in the admin
 * app on 127.0.0.1; here they are 404 like any unknown path, so nothing from the
 * pod network can read the config or trigger a reload.
 *
 * @example
 * ```ts
 * import { createTelemetryApp, type TelemetryAppDeps } from "./telemetry_app.ts";
 * declare const deps: TelemetryAppDeps;
 * const app = createTelemetryApp(deps);
 * Deno.serve({ hostname: "0.0.0.0", port: 9902 }, app.fetch);
 * ```
 * @module
 */
import { Hono } from "hono";
import type { Registry } from "prom-client";
import { type Logger, silentLogger } from "../log/logger.ts";
import type { GatewayState } from "./gateway_state.ts";
import { addErrorHandlers, addProbeRoutes } from "./probe_routes.ts";

/** Dependencies of {@linkcode createTelemetryApp}. */
export interface TelemetryAppDeps {
  state: Pick<GatewayState, "readiness">;
  /** Any object holding the registry; `GatewayMetrics` does. */
  metrics: { readonly registry: Registry };
  /** Where internal errors are logged; silent when absent. */
  logger?: Logger;
}

/** Creates the telemetry app; serve it with `Deno.serve(..., app.fetch)`. */
export function createTelemetryApp(deps: TelemetryAppDeps): Hono {
  const logger = deps.logger ?? silentLogger;
  const app = new Hono();
  addProbeRoutes(app, { state: deps.state, metrics: deps.metrics, logger });
  addErrorHandlers(app, logger);
  return app;
}
