/**
 * The seams of `runGateway`: every part it wires, as a factory. The real
 * parts live in `src/gateway.ts`; a test can swap one (say, a source that
 * never syncs) without touching the rest.
 * @module
 */
import type { Registry } from "prom-client";
import type { Logger } from "../log/logger.ts";
import type { RouteTable } from "../router/router.ts";
import type { Source } from "../source/source.ts";
import type { Store } from "../source/store.ts";
import type { GatewayConfig, TranslateOptions, TranslateResult } from "../model/config.ts";
import type { Snapshot } from "../model/snapshot.ts";
import type { DataPlaneObserver } from "../dataplane/observer.ts";
import type { GatewayControl, GatewayState } from "../admin/gateway_state.ts";
import type { ListenerPortState } from "../dataplane/listener_port_state.ts";
import type { GatewayOptions } from "./gateway_options.ts";
import type { RebuildAttempt } from "./reconciler.ts";
import type { ResolvedSource } from "./source_kind.ts";

/** What the data plane's listener manager must offer the runtime. */
export interface ListenerManagerPart {
  /** Binds new ports, closes removed ones, swaps certificates; every port's state. */
  reconcile(result: TranslateResult): Promise<ListenerPortState[]>;
  /**
   * Stops accepting on every port, then waits for in-flight requests at most
   * `graceMs`; resolves `true` when all finished in time.
   */
  shutdown(options: { graceMs: number }): Promise<boolean>;
}

/** The metrics the runtime feeds. */
export interface MetricsPart {
  /** The Prometheus registry the admin and telemetry apps print. */
  readonly registry: Registry;
  /** Data-plane hooks. */
  observer: DataPlaneObserver;
  rebuilt(attempt: RebuildAttempt): void;
  sourceSynced(kind: string, synced: boolean): void;
}

/** An HTTP app (Hono or plain): the runtime binds it with `Deno.serve`. */
export interface HttpApp {
  fetch(request: Request): Response | Promise<Response>;
}

/** A status writer for the kube source: fed each served result, stopped at shutdown. */
export interface StatusWriterPart {
  sink(result: TranslateResult): void;
  /** Extra `/config` sections (leader election state). */
  extra?(): Record<string, unknown>;
  stop(): Promise<void>;
}

/** Context handed to the factories. */
export interface PartContext {
  options: GatewayOptions;
  logger: Logger;
  env: Record<string, string | undefined>;
}

/** Everything `runGateway` wires. */
export interface GatewayParts {
  translate(snapshot: Snapshot, options: TranslateOptions): TranslateResult;
  compile(config: GatewayConfig): RouteTable;
  createStore(): Store;
  createSource(resolved: ResolvedSource, store: Store, ctx: PartContext): Promise<Source>;
  createMetrics(ctx: PartContext): MetricsPart;
  createListenerManager(
    getTable: () => RouteTable | undefined,
    metrics: MetricsPart,
    ctx: PartContext,
  ): ListenerManagerPart;
  createAdminApp(
    deps: { state: GatewayState; control: GatewayControl; metrics: MetricsPart },
    ctx: PartContext,
  ): HttpApp;
  /** `undefined` when no telemetry app exists. */
  createTelemetryApp(
    deps: { state: GatewayState; metrics: MetricsPart },
    ctx: PartContext,
  ): HttpApp;
  /** Kube source only; `undefined`: status is not written. */
  createStatusWriter?(
    source: Source,
    ctx: PartContext,
  ): Promise<StatusWriterPart | undefined>;
}
