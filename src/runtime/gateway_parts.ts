/**
 * The seams of `runGateway`: every part it wires, as a factory. The real
 * parts live in `src/gateway.ts`; a test can swap one (say, a source that
 * never syncs) without touching the rest.
 * @module
 */
import type { Registry } from "prom-client";
import type { KubeClient } from "../kube/client.ts";
import type { Logger } from "../log/logger.ts";
import type { RouteTable } from "../router/router.ts";
import type { Source } from "../source/source.ts";
import type { Store } from "../source/store.ts";
import type { GatewayConfig, TranslateOptions, TranslateResult } from "../model/config.ts";
import type { Snapshot } from "../model/snapshot.ts";
import type { DataPlaneObserver } from "../dataplane/observer.ts";
import type { StatusWriteOutcome } from "../status/status_writer.ts";
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
  /** The process is going away: keep serving, but ask HTTP/1 clients to close their connections. */
  drain?(): void;
}

/** The metrics the runtime and the parts it builds feed. */
export interface MetricsPart {
  /** The Prometheus registry the admin and telemetry apps print. */
  readonly registry: Registry;
  /** Data-plane hooks. */
  observer: DataPlaneObserver;
  rebuilt(attempt: RebuildAttempt): void;
  sourceSynced(kind: string, synced: boolean): void;
  /** A Kubernetes watch of `kind` ended and was started again. */
  watchRestarted(kind: string): void;
  /** One status write's outcome. */
  statusWritten(outcome: StatusWriteOutcome): void;
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

/**
 * The one connection to the Kubernetes API, made once and shared by the kube
 * source and the status writer; the runtime closes it after both stopped.
 */
export interface KubePart {
  readonly client: KubeClient;
  /** The namespace of the pod or of the kubeconfig context, if known. */
  readonly namespace?: string;
}

/** Context handed to the factories. */
export interface PartContext {
  options: GatewayOptions;
  logger: Logger;
  env: Record<string, string | undefined>;
}

/** The two steps of every rebuild: the pure translate and the route table compiler. */
export interface PipelinePart {
  translate(snapshot: Snapshot, options: TranslateOptions): TranslateResult;
  compile(config: GatewayConfig): RouteTable;
}

/** What the source reports to metrics, which may not exist yet while the source lists. */
export type SourceMetrics = Pick<MetricsPart, "sourceSynced" | "watchRestarted">;

/**
 * Everything `runGateway` wires, in the order it builds them: each factory
 * takes the parts built before it, so the types fix the order and no part is
 * filled in later. The source comes first and starts listing at once; the
 * factories after it return promises, so the modules behind them (translate,
 * the data plane, prom-client, Hono) may load while the API server answers.
 */
export interface GatewayParts {
  createStore(): Store;
  /** Kube source only: loads the connection settings and makes the one API client. */
  connectKube(ctx: PartContext): Promise<KubePart>;
  createSource(
    resolved: ResolvedSource,
    deps: { store: Store; metrics: SourceMetrics; kube?: KubePart },
    ctx: PartContext,
  ): Promise<Source>;
  createPipeline(ctx: PartContext): Promise<PipelinePart>;
  createMetrics(ctx: PartContext): Promise<MetricsPart>;
  createListenerManager(
    deps: {
      table: () => RouteTable | undefined;
      metrics: MetricsPart;
      /** Called after a data-plane worker's idle collector ran (`--workers` > 1). */
      afterIdleCollection?: () => void;
    },
    ctx: PartContext,
  ): Promise<ListenerManagerPart>;
  /** Kube source only; `undefined`: status is not written. */
  createStatusWriter?(
    deps: { store: Store; kube: KubePart; metrics: MetricsPart },
    ctx: PartContext,
  ): Promise<StatusWriterPart | undefined>;
  createAdminApp(
    deps: { state: GatewayState; control: GatewayControl; metrics: MetricsPart },
    ctx: PartContext,
  ): Promise<HttpApp>;
  createTelemetryApp(
    deps: { state: GatewayState; metrics: MetricsPart },
    ctx: PartContext,
  ): Promise<HttpApp>;
}
