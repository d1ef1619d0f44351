/**
 * The data plane on several cores (`--workers N`): N workers, each serving
 * every HTTP and HTTPS port with `SO_REUSEPORT` (the kernel spreads
 * connections over them), each holding its own route table compiled from the
 * config posted here. A change posts only what changed since the version
 * the worker holds (`table_update.ts`); a worker that holds none, or
 * another, gets the whole config. On an HTTPS port each worker's front door relays only
 * to that worker's loopback TLS listener, so SNI lookups and certificate
 * rotations stay inside the worker. The pool offers the listener manager's
 * interface, so the runtime swaps it in unchanged; the metrics stay in the
 * main isolate, fed from batches the workers post every `flushMs` and at
 * shutdown.
 *
 * A worker that dies is logged at error and started again with the whole
 * current config, at most `maxRestarts` times; after that its ports read unbound.
 * @module
 */
import type { LogFormat, Logger, LogLevel } from "../log/logger.ts";
import { silentLogger } from "../log/logger.ts";
import type { ListenerPortState } from "./listener_port_state.ts";
import { socketKey } from "../model/config.ts";
import { workerModuleUrl } from "./worker_module.ts";
import { comparePortStates, type ListenerConfigInput, type ListenerManager } from "./listeners.ts";
import type { ClientConnectionSettings } from "./client_timeouts.ts";
import type { IdleCollectorSettings } from "./idle_collector.ts";
import { type DataPlaneObserver, NOOP_OBSERVER } from "./observer.ts";
import type { RequestPolicy } from "./request_policy.ts";
import {
  type PackedTableUpdate,
  packTableUpdate,
  type TableUpdate,
  TableUpdateWriter,
} from "./table_update.ts";
import type {
  FromWorker,
  ToWorker,
  WorkerObservations,
  WorkerReconciled,
} from "./worker_messages.ts";

/** Options of {@linkcode createWorkerPool}. */
export interface WorkerPoolOptions {
  /** How many workers (2 or more makes sense; 1 works too). */
  workers: number;
  /** Bind address (`--listen-host`), default `0.0.0.0`. */
  hostname?: string;
  /** Default backend response-head timeout in ms. */
  requestTimeoutMs?: number;
  /** Request policy of every port (default: `DEFAULT_REQUEST_POLICY`). */
  policy?: RequestPolicy;
  /**
   * Connection limits of the whole pool and the client timeouts; each worker
   * gets an equal share of the limits (the kernel spreads connections evenly).
   */
  connections?: ClientConnectionSettings;
  /** Where the pool logs worker crashes. */
  logger?: Logger;
  /** Level and format of the workers' own loggers. */
  logLevel?: LogLevel;
  logFormat?: LogFormat;
  /** Fed with every worker's observations. */
  observer?: DataPlaneObserver;
  /** How often workers post observations; default 250 ms. */
  flushMs?: number;
  /** Restarts allowed per worker; default 5. */
  maxRestarts?: number;
  /** The worker entry; default `dataplane_worker.ts` (tests wrap it to make it crash). */
  workerUrl?: URL;
  /** Hears each full collection a worker's idle collector ran after a load. */
  onIdleCollection?: () => void;
  /** The workers' idle collectors' sampling and thresholds (tests); the defaults when absent. */
  idleCollector?: IdleCollectorSettings;
}

/** What one worker did so far. */
export interface WorkerStats {
  index: number;
  /** Requests it reported (observations received so far). */
  requests: number;
  restarts: number;
  alive: boolean;
}

/** The pool: a listener manager spread over workers. */
export interface WorkerPool extends ListenerManager {
  /** Per-worker counts, by index. */
  workerStats(): WorkerStats[];
}

interface Slot {
  index: number;
  worker?: Worker;
  alive: boolean;
  restarts: number;
  requests: number;
  states: ListenerPortState[];
  ready: boolean;
  /** The table version the worker said it holds; `undefined`: none it can patch. */
  version?: number;
  reconciled: { id: number; resolve: (reply?: WorkerReconciled) => void }[];
  stopped: { id: number; resolve: (drained: boolean) => void }[];
}

const WORKER_URL = workerModuleUrl();

/**
 * Starts `options.workers` workers; nothing is bound until `reconcile`.
 *
 * @example
 * ```ts
 * import { createWorkerPool } from "./worker_pool.ts";
 * import type { TranslateResult } from "../model/config.ts";
 * declare const result: TranslateResult;
 * const pool = createWorkerPool({ workers: 2, hostname: "127.0.0.1" });
 * await pool.reconcile(result);
 * await pool.shutdown({ graceMs: 5000 });
 * ```
 */
export function createWorkerPool(options: WorkerPoolOptions): WorkerPool {
  return new DataPlaneWorkerPool(options);
}

/** The pool: one slot per worker, the latest config, reconciles one at a time. */
class DataPlaneWorkerPool implements WorkerPool {
  readonly #options: WorkerPoolOptions;
  readonly #logger: Logger;
  readonly #observer: DataPlaneObserver;
  readonly #maxRestarts: number;
  readonly #slots: Slot[];
  readonly #updates = new TableUpdateWriter();
  /** Each update packed once, for every worker it goes to. */
  readonly #packed = new WeakMap<TableUpdate, PackedTableUpdate>();
  #nextId = 1;
  #applied = false;
  #stopping = false;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: WorkerPoolOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#observer = options.observer ?? NOOP_OBSERVER;
    this.#maxRestarts = options.maxRestarts ?? 5;
    this.#slots = Array.from({ length: options.workers }, (_, index) => ({
      index,
      alive: false,
      restarts: 0,
      requests: 0,
      states: [],
      ready: false,
      reconciled: [],
      stopped: [],
    }));
    for (const slot of this.#slots) this.#start(slot);
  }

  reconcile(input: ListenerConfigInput): Promise<ListenerPortState[]> {
    const run = this.#queue.then(async () => {
      if (this.#stopping) return this.states();
      // Only what the workers need crosses: not statuses or problems.
      const update = this.#updates.next(input.config, input.certificates ?? []);
      await Promise.all(this.#slots.map((slot) => this.#reconcileSlot(slot, update)));
      this.#applied = true;
      return this.states();
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  states(): ListenerPortState[] {
    const bySocket = new Map<string, ListenerPortState>();
    for (const slot of this.#slots) {
      for (const s of slot.states) {
        const key = socketKey(s);
        const seen = bySocket.get(key);
        if (seen === undefined) bySocket.set(key, { ...s });
        else if (!s.bound) {
          seen.bound = false;
          seen.error ??= s.error;
        }
      }
    }
    return [...bySocket.values()].sort(comparePortStates);
  }

  ready(): boolean {
    return this.#applied && !this.#stopping && this.#slots.every((s) => s.alive && s.ready);
  }

  drain(): void {
    for (const slot of this.#slots) this.#send(slot, { type: "drain" });
  }

  async shutdown(shutdownOptions: { graceMs?: number } = {}): Promise<boolean> {
    this.#stopping = true;
    await this.#queue;
    const results = await Promise.all(
      this.#slots.map((slot) => this.#stopSlot(slot, shutdownOptions.graceMs)),
    );
    for (const slot of this.#slots) {
      slot.worker?.terminate();
      slot.worker = undefined;
      slot.alive = false;
      for (const s of slot.states) s.bound = false;
    }
    return results.every(Boolean);
  }

  workerStats(): WorkerStats[] {
    return this.#slots.map((s) => ({
      index: s.index,
      requests: s.requests,
      restarts: s.restarts,
      alive: s.alive,
    }));
  }

  /** Asks one worker to stop; one that does not answer in time is terminated anyway. */
  #stopSlot(slot: Slot, graceMs: number | undefined): Promise<boolean> {
    if (!slot.alive) return Promise.resolve(true);
    const id = this.#nextId++;
    const stopped = new Promise<boolean>((resolve) => slot.stopped.push({ id, resolve }));
    this.#send(slot, { type: "shutdown", id, graceMs });
    if (graceMs === undefined) return stopped;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs + 1_000);
    });
    return Promise.race([stopped, late]).finally(() => clearTimeout(timer));
  }

  #observe(slot: Slot, batch: WorkerObservations): void {
    for (const group of batch.requests) {
      slot.requests += group.durationsSeconds.length;
      const { listener, route, method, status } = group;
      for (const durationSeconds of group.durationsSeconds) {
        this.#observer.onRequest({ listener, route, method, status, durationSeconds });
      }
    }
    for (const e of batch.upstreamErrors) {
      for (let i = 0; i < e.count; i++) this.#observer.onUpstreamError(e.backend, e.kind);
    }
    for (const e of batch.clientEvents ?? []) {
      for (let i = 0; i < e.count; i++) this.#observer.onClientEvent(e.family, e.reason);
    }
    for (const u of batch.upgrades ?? []) this.#observer.onUpgrade?.(u.event, u.why);
  }

  #onMessage(slot: Slot, message: FromWorker): void {
    if (message.type === "observations") return this.#observe(slot, message);
    if (message.type === "collected") return this.#options.onIdleCollection?.();
    if (message.type === "reconciled") {
      slot.states = message.states;
      slot.ready = message.ready;
      slot.version = message.version;
      const done = slot.reconciled.filter((w) => w.id <= message.id);
      slot.reconciled = slot.reconciled.filter((w) => w.id > message.id);
      for (const w of done) w.resolve(message);
      return;
    }
    const done = slot.stopped.filter((w) => w.id <= message.id);
    slot.stopped = slot.stopped.filter((w) => w.id > message.id);
    for (const w of done) w.resolve(message.drained);
  }

  #send(slot: Slot, message: ToWorker): void {
    slot.worker?.postMessage(message);
  }

  /**
   * Brings one worker to the latest version: `delta` when it holds the
   * version that patches, else (and when it turns out to hold another) the
   * whole config.
   */
  async #reconcileSlot(slot: Slot, delta?: TableUpdate): Promise<void> {
    if (!slot.alive || this.#updates.version === 0) return;
    const fits = delta !== undefined && delta.base !== undefined && delta.base === slot.version;
    const update = fits ? delta : this.#updates.full();
    const reply = await this.#post(slot, update);
    if (!fits || !slot.alive || reply?.version === update.version) return;
    await this.#post(slot, this.#updates.full());
  }

  /** Posts one update; the worker's reply, or none when it died without answering. */
  async #post(slot: Slot, update: TableUpdate): Promise<WorkerReconciled | undefined> {
    const id = this.#nextId++;
    const replied = new Promise<WorkerReconciled | undefined>((resolve) =>
      slot.reconciled.push({ id, resolve })
    );
    let packed = this.#packed.get(update);
    if (packed === undefined) this.#packed.set(update, packed = packTableUpdate(update));
    this.#send(slot, { type: "reconcile", id, update: packed });
    const reply = await replied;
    if (reply?.swapMs !== undefined) {
      this.#logger.debug("data-plane worker swapped its table", {
        worker: slot.index,
        version: reply.version,
        full: update.base === undefined,
        swapMs: Math.round(reply.swapMs * 100) / 100,
      });
    }
    return reply;
  }

  #start(slot: Slot): void {
    const options = this.#options;
    const worker = new Worker(options.workerUrl ?? WORKER_URL, {
      type: "module",
      name: `dataplane-${slot.index}`,
    });
    slot.worker = worker;
    slot.alive = true;
    worker.onmessage = (event: MessageEvent<FromWorker>) => this.#onMessage(slot, event.data);
    worker.onerror = (event) => {
      // Unhandled, a worker's error would end the whole process.
      event.preventDefault();
      this.#crashed(slot, event.message);
    };
    this.#send(slot, {
      type: "init",
      index: slot.index,
      hostname: options.hostname ?? "0.0.0.0",
      requestTimeoutMs: options.requestTimeoutMs,
      policy: options.policy,
      connections: workerShare(options.connections, options.workers),
      logLevel: options.logLevel ?? "info",
      logFormat: options.logFormat ?? "json",
      flushMs: options.flushMs ?? 250,
      idleCollector: options.idleCollector,
    });
  }

  #crashed(slot: Slot, reason: string): void {
    slot.worker?.terminate();
    slot.worker = undefined;
    slot.alive = false;
    slot.ready = false;
    slot.version = undefined;
    const stopped = slot.stopped.splice(0);
    for (const w of stopped) w.resolve(false);
    const restart = !this.#stopping && slot.restarts < this.#maxRestarts;
    this.#logger.error("data-plane worker crashed", {
      worker: slot.index,
      reason,
      restarts: slot.restarts,
      restarting: restart,
    });
    if (!restart) {
      slot.states = slot.states.map((s) => ({
        ...s,
        bound: false,
        error:
          `Cannot serve port ${s.port} in data-plane worker ${slot.index}: it crashed (${reason})`,
      }));
      for (const w of slot.reconciled.splice(0)) w.resolve();
      return;
    }
    slot.restarts++;
    this.#start(slot);
    // Answers whoever still waits for the crashed worker's reply.
    this.#reconcileSlot(slot);
  }
}

/** One worker's share of the pool's connection limits (a limit stays at least 1). */
function workerShare(
  settings: ClientConnectionSettings | undefined,
  workers: number,
): ClientConnectionSettings | undefined {
  if (settings === undefined) return undefined;
  const share = (limit: number) => limit === 0 ? 0 : Math.max(1, Math.floor(limit / workers));
  return {
    maxConnections: share(settings.maxConnections),
    maxConnectionsPerPort: share(settings.maxConnectionsPerPort),
    timeouts: settings.timeouts,
    ...(settings.http1Engine === undefined ? {} : { http1Engine: settings.http1Engine }),
    ...(settings.sockets === undefined ? {} : { sockets: settings.sockets }),
    ...(settings.upstreamSendMs === undefined ? {} : { upstreamSendMs: settings.upstreamSendMs }),
    ...(settings.upgrades === undefined ? {} : {
      upgrades: { ...settings.upgrades, maxConnections: share(settings.upgrades.maxConnections) },
    }),
  };
}
