/**
 * The entry of one data-plane worker (`--workers N`): its own listener
 * manager with `SO_REUSEPORT` on every port (HTTP and HTTPS), its own copy
 * of the config patched by each posted table update (`table_replica.ts`)
 * and compiled again only where it changed, and its observations batched to
 * the main isolate (which owns the metrics). Started by `worker_pool.ts`;
 * never imported.
 * @module
 */
/// <reference lib="deno.worker" />
import { createLogger, type Logger } from "../log/logger.ts";
import { createRouteTableCompiler } from "../router/compile_route_table.ts";
import type { RouteTable } from "../router/router.ts";
import { startIdleCollector } from "./idle_collector.ts";
import { abandonLibcSockets } from "./libc_reactor.ts";
import { createListenerManager, type ListenerManager } from "./listeners.ts";
import type { DataPlaneObserver, UpstreamErrorKind } from "./observer.ts";
import { createHttpsServerFactory } from "./tls_port_factory.ts";
import { TableReplica } from "./table_replica.ts";
import { unpackTableUpdate } from "./table_update.ts";
import type {
  ClientEventCount,
  FromWorker,
  RequestGroup,
  ToWorker,
  WorkerInit,
  WorkerReconcile,
} from "./worker_messages.ts";

let table: RouteTable | undefined;
let replica = new TableReplica();
let compile = createRouteTableCompiler();
/** Listener reconciles under way. */
let applying = 0;
let manager: ListenerManager | undefined;
let init: WorkerInit | undefined;
let logger: Logger | undefined;
let flushTimer: ReturnType<typeof setInterval> | undefined;
const requests = new Map<string, RequestGroup>();
const upstreamErrors = new Map<
  string,
  { backend: string; kind: UpstreamErrorKind; count: number }
>();
const clientEvents = new Map<string, ClientEventCount>();
let upgrades: { event: "opened" | "closed"; why?: string }[] = [];

const post = (message: FromWorker) => self.postMessage(message);

/** Counts locally; the pool feeds the main isolate's metrics from the batches. */
const observer: DataPlaneObserver = {
  onRequest(record) {
    const key = `${record.listener}\n${record.route}\n${record.method}\n${record.status}`;
    let group = requests.get(key);
    if (group === undefined) {
      group = {
        listener: record.listener,
        route: record.route,
        method: record.method,
        status: record.status,
        durationsSeconds: [],
      };
      requests.set(key, group);
    }
    group.durationsSeconds.push(record.durationSeconds);
  },
  onUpstreamError(backend, kind) {
    const key = `${backend}\n${kind}`;
    const entry = upstreamErrors.get(key);
    if (entry === undefined) upstreamErrors.set(key, { backend, kind, count: 1 });
    else entry.count++;
  },
  onClientEvent(family, reason) {
    const key = `${family}\n${reason}`;
    const entry = clientEvents.get(key);
    if (entry === undefined) {
      clientEvents.set(key, { family, reason, count: 1 } as ClientEventCount);
    } else entry.count++;
  },
  onUpgrade(event, why) {
    upgrades.push(why === undefined ? { event } : { event, why });
  },
};

function flush(): void {
  if (
    requests.size === 0 && upstreamErrors.size === 0 && clientEvents.size === 0 &&
    upgrades.length === 0
  ) return;
  post({
    type: "observations",
    requests: [...requests.values()],
    upstreamErrors: [...upstreamErrors.values()],
    clientEvents: [...clientEvents.values()],
    ...(upgrades.length === 0 ? {} : { upgrades }),
  });
  requests.clear();
  upstreamErrors.clear();
  clientEvents.clear();
  upgrades = [];
}

/**
 * Patches the config and swaps in its table before anything is awaited, so
 * updates apply in the order they were posted; a request sees the table
 * before or after, never a mix.
 */
async function reconcile(message: WorkerReconcile): Promise<void> {
  if (manager === undefined || init === undefined) return;
  const t0 = performance.now();
  const patched = replica.apply(unpackTableUpdate(message.update));
  if (patched === undefined) {
    // Not the version this update patches: the pool sends everything instead.
    post({ type: "reconciled", id: message.id, states: manager.states(), ready: manager.ready() });
    return;
  }
  // A full snapshot shares no objects with the tables before: start afresh.
  if (message.update.base === undefined) compile = createRouteTableCompiler();
  table = compile(patched.config);
  const swapMs = performance.now() - t0;
  // Same sockets, listeners and certificates, all bound, none still being
  // applied (replies keep their order): nothing for the listeners to do (an
  // HTTPS port would fingerprint its certificates again).
  const { samePorts, certificates } = message.update;
  let states;
  if (samePorts && certificates === undefined && applying === 0 && manager.ready()) {
    states = manager.states();
  } else {
    applying++;
    try {
      states = await manager.reconcile(patched);
    } finally {
      applying--;
    }
  }
  post({
    type: "reconciled",
    id: message.id,
    states,
    ready: manager.ready(),
    version: message.update.version,
    swapMs,
  });
}

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case "init": {
      init = message;
      logger = createLogger({ level: message.logLevel, format: message.logFormat })
        .child({ component: "dataplane", worker: message.index });
      const getTable = () => table;
      manager = createListenerManager({
        getTable,
        hostname: message.hostname,
        reusePort: true,
        logger,
        observer,
        requestTimeoutMs: message.requestTimeoutMs,
        policy: message.policy,
        connections: message.connections,
        servers: { HTTPS: createHttpsServerFactory(getTable) },
      });
      flushTimer = setInterval(flush, message.flushMs);
      // Each worker is an isolate with its own heap (and its own garbage).
      const workerLog = logger;
      startIdleCollector({
        ...message.idleCollector,
        onCollect: (before, after) => {
          workerLog.debug("collected garbage after load", { before, after });
          // What the load's requests held is glibc's too: the main isolate trims the process.
          post({ type: "collected" });
        },
      });
      return;
    }
    case "reconcile":
      return await reconcile(message);
    case "drain":
      manager?.drain?.();
      return;
    case "shutdown": {
      const drained = manager === undefined
        ? true
        : await manager.shutdown({ graceMs: message.graceMs });
      if (flushTimer !== undefined) clearInterval(flushTimer);
      flush();
      post({ type: "stopped", id: message.id, drained });
      return;
    }
  }
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  handle(message).catch((error) => {
    logger?.error("data-plane worker message failed", { type: message?.type, error });
    // The pool waits for every reply; an answer that says "not bound" beats none.
    if (message?.type === "reconcile") {
      // What this worker holds is in doubt: the next update must be everything.
      replica = new TableReplica();
      compile = createRouteTableCompiler();
      const states = message.update.ports.map((p) => ({
        ...(p.address === undefined ? {} : { address: p.address }),
        port: p.port,
        protocol: p.protocol,
        bound: false,
        error: `Cannot apply the config in data-plane worker ${init?.index}: ${
          (error as Error)?.message ?? String(error)
        }`,
      }));
      post({ type: "reconciled", id: message.id, states, ready: false });
    }
  });
};

// An uncaught error ends this worker, and Deno closes its own sockets with it;
// libc's are the process's and would outlive it (`libc_reactor.ts`).
self.addEventListener("error", abandonLibcSockets);
self.addEventListener("unhandledrejection", abandonLibcSockets);
