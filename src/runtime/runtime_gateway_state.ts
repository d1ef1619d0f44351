/**
 * The `GatewayState` and `GatewayControl` the admin and telemetry apps read,
 * assembled from the source, the reconciler and the shutdown flag. Readiness is
 * deliberately strict: a replica that has not served a config, or could not
 * bind a port, must not receive traffic from a load balancer.
 *
 * @example
 * ```ts
 * import { createRuntimeGatewayState, type RuntimeGatewayStateDeps } from "./runtime_gateway_state.ts";
 * declare const source: RuntimeGatewayStateDeps["source"];
 * declare const reconciler: RuntimeGatewayStateDeps["reconciler"];
 * const { state } = createRuntimeGatewayState({
 *   source,
 *   reconciler,
 *   draining: () => false,
 *   synced: () => true,
 * });
 * state.readiness(); // { ready: false, reasons: ["No configuration served yet"] }
 * ```
 * @module
 */
import type { ReloadOutcome, Source } from "../source/source.ts";
import type { GatewayControl, GatewayState } from "../admin/gateway_state.ts";
import type { Reconciler } from "./reconciler.ts";

/** Dependencies of {@linkcode createRuntimeGatewayState}. */
export interface RuntimeGatewayStateDeps {
  source: Pick<Source, "kind" | "syncState" | "problems" | "reload">;
  reconciler: Reconciler;
  /** True once shutdown began: readiness turns false at once. */
  draining: () => boolean;
  /** Whether the source finished its first sync (`start()` resolved). */
  synced: () => boolean;
  /** Extra `/config` sections, e.g. leader election. */
  extra?: () => Record<string, unknown>;
}

/** Builds the state view and the control surface of a running gateway. */
export function createRuntimeGatewayState(
  deps: RuntimeGatewayStateDeps,
): { state: GatewayState; control: GatewayControl } {
  const { source, reconciler } = deps;
  const state: GatewayState = {
    table: () => reconciler.table(),
    result: () => reconciler.result(),
    source: () => ({
      kind: source.kind,
      syncState: source.syncState(),
      problems: source.problems(),
    }),
    listeners: () => reconciler.listeners(),
    lastRebuild: () => reconciler.lastRebuild(),
    readiness() {
      const reasons: string[] = [];
      if (deps.draining()) reasons.push("Shutting down: draining connections");
      if (!deps.synced()) {
        const pending = Object.entries(source.syncState())
          .filter(([, s]) => !s.synced)
          .map(([kind]) => kind);
        reasons.push(
          `Waiting for the source's first sync${pending.length ? `: ${pending.join(", ")}` : ""}`,
        );
      }
      // The table is swapped in before its ports are bound; the rebuild is
      // recorded only after, so until then the port states are not known yet.
      if (reconciler.table() === undefined || reconciler.lastRebuild() === undefined) {
        reasons.push("No configuration served yet");
      }
      for (const port of reconciler.listeners()) {
        if (!port.bound) {
          const where = port.address === undefined ? "" : ` on ${port.address}`;
          reasons.push(
            `Cannot bind ${port.protocol} port ${port.port}${where}${
              port.error ? `: ${port.error}` : ""
            }`,
          );
        }
      }
      return { ready: reasons.length === 0, reasons };
    },
    extra: deps.extra,
  };
  const control: GatewayControl = {
    async reload(): Promise<ReloadOutcome> {
      if (!deps.synced()) {
        return {
          ok: false,
          problems: [],
          message: "Cannot reload before the source's first sync",
        };
      }
      const outcome = await source.reload();
      // One rebuild, now, so the caller sees the result of *this* reload; the
      // store's holdoff that follows finds this version built and does nothing.
      const rebuilt = await reconciler.rebuild("reload requested");
      return {
        ok: outcome.ok && rebuilt.ok,
        problems: outcome.problems,
        message: rebuilt.ok ? `${outcome.message}; ${rebuilt.message}` : rebuilt.message,
      };
    },
  };
  return { state, control };
}
