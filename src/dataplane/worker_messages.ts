/**
 * The messages between the worker pool (main isolate) and each data-plane
 * worker (`--workers N`). Everything crosses by structured clone, so only
 * plain data: table updates (what changed in the config and certificates,
 * see `table_update.ts`), port states, and batches of observations for the
 * metrics that live in the main isolate.
 * @module
 */
import type { LogFormat, LogLevel } from "../log/logger.ts";
import type { ListenerPortState } from "./listener_port_state.ts";
import type { ClientConnectionSettings } from "./client_timeouts.ts";
import type { IdleCollectorSettings } from "./idle_collector.ts";
import type { ClientEventFamily, ClientEventReasons, UpstreamErrorKind } from "./observer.ts";
import type { RequestPolicy } from "./request_policy.ts";
import type { PackedTableUpdate } from "./table_update.ts";

/** How a worker is set up; sent once, first. */
export interface WorkerInit {
  type: "init";
  /** 0-based worker index, in every log line as `worker`. */
  index: number;
  hostname: string;
  requestTimeoutMs?: number;
  policy?: RequestPolicy;
  /** This worker's share of the connection limits, and the client timeouts. */
  connections?: ClientConnectionSettings;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** How often observations are posted, in ms. */
  flushMs: number;
  /** The idle collector's sampling and thresholds (tests); the defaults when absent. */
  idleCollector?: IdleCollectorSettings;
}

/** A new config to serve: a delta from the worker's version, or a full snapshot. */
export interface WorkerReconcile {
  type: "reconcile";
  id: number;
  update: PackedTableUpdate;
}

/** Drain and stop. */
export interface WorkerShutdown {
  type: "shutdown";
  id: number;
  graceMs?: number;
}

/** The process is going away: keep serving, ask HTTP/1 clients to close. */
export interface WorkerDrain {
  type: "drain";
}

/** Main → worker. */
export type ToWorker = WorkerInit | WorkerReconcile | WorkerShutdown | WorkerDrain;

/** Requests that share every label, with each one's duration. */
export interface RequestGroup {
  listener: string;
  route: string;
  method: string;
  status: number;
  durationsSeconds: number[];
}

/** A batch of what the worker's data plane saw since the last batch. */
export interface WorkerObservations {
  type: "observations";
  requests: RequestGroup[];
  upstreamErrors: { backend: string; kind: UpstreamErrorKind; count: number }[];
  /** Refused connections, client timeouts and policy rejections, counted. */
  clientEvents: ClientEventCount[];
  /** Upgraded connections opened and closed, in order (absent: none). */
  upgrades?: { event: "opened" | "closed"; why?: string }[];
}

/** How many client events of one family and reason a worker saw. */
export type ClientEventCount = {
  [F in ClientEventFamily]: { family: F; reason: ClientEventReasons[F]; count: number };
}[ClientEventFamily];

/** The port states after a reconcile. */
export interface WorkerReconciled {
  type: "reconciled";
  id: number;
  states: ListenerPortState[];
  ready: boolean;
  /**
   * The table version the worker now serves; absent when it holds none it
   * can patch (the update did not fit its version, or failed): the next
   * update it gets must be a full snapshot.
   */
  version?: number;
  /** How long patching the config and compiling its table took, in ms. */
  swapMs?: number;
}

/** The worker drained (or the grace ran out) and can be terminated. */
export interface WorkerStopped {
  type: "stopped";
  id: number;
  drained: boolean;
}

/** The worker's idle collector ran a full collection after a load. */
export interface WorkerCollected {
  type: "collected";
}

/** Worker → main. */
export type FromWorker = WorkerObservations | WorkerReconciled | WorkerStopped | WorkerCollected;
