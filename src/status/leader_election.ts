/**
 * Leader election on a `coordination.k8s.io/v1` Lease, so that of several
 * replicas exactly one writes status. Timings default to the usual Kubernetes
 * controller values: a lease lasts 15 s, the leader must renew within 10 s or
 * it steps down, and every attempt is 2 s apart.
 *
 * Expiry is judged by the local clock from the moment this replica *observed*
 * the lease record change, not by the `renewTime` written in it, so clock skew
 * between nodes cannot make two replicas leaders at once. A leader that cannot
 * renew steps down when its renew deadline passes, even if the request is
 * still hanging, and listeners hear it at once (the status writer then aborts
 * its in-flight writes). On stop the leader releases the lease (empty holder,
 * 1 s duration) so another replica takes over within one retry period.
 *
 * @example
 * ```ts
 * import { createLeaderElector } from "./leader_election.ts";
 * import type { KubeClient } from "../kube/client.ts";
 * import { createLogger } from "../log/logger.ts";
 * declare const client: KubeClient;
 * const log = createLogger();
 * const elector = createLeaderElector({ client, namespace: "gateway-system", logger: log });
 * elector.onChange((leading) => log.info("leadership", { leading }));
 * elector.start();
 * ```
 * @module
 */
import type { Logger } from "../log/logger.ts";
import { isApiStatus, type KubeClient } from "../kube/client.ts";
import { SERVICE_ACCOUNT_DIR } from "../kube/kubeconfig.ts";
import { type Clock, systemClock, type Timer } from "../time/clock.ts";

/** Whether this replica may write status now, and when that changes. */
export interface Leadership {
  isLeader(): boolean;
  /** Registers a listener for leadership changes; returns its removal. */
  onChange(listener: (leading: boolean) => void): () => void;
}

/** Without `--leader-elect`: always the leader. */
export const ALWAYS_LEADER: Leadership = Object.freeze({
  isLeader: () => true,
  onChange: () => () => {},
});

/** Options of {@linkcode createLeaderElector}. */
export interface LeaderElectorOptions {
  client: KubeClient;
  /** Namespace of the Lease. */
  namespace: string;
  /** Lease name. Default `serval-k8s-gateway`. */
  name?: string;
  /** Default {@linkcode defaultIdentity}. */
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  logger: Logger;
  random?: () => number;
  /** Time for the lease expiry, the renew deadline and the retry period. Default {@linkcode systemClock}. */
  clock?: Clock;
  /** Called after every attempt to acquire or renew, before the wait for the next. Must not throw. */
  onAttempt?: () => void;
}

/** A running election. */
export interface LeaderElector extends Leadership {
  readonly identity: string;
  start(): void;
  /** Stops campaigning and releases the lease if held. */
  stop(): Promise<void>;
  /** For `/config`. */
  state(): { leader: boolean; identity: string; lease: string; holder?: string };
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

/** `<hostname>_<random>`: unique per process even when pods share a name across restarts. */
export function defaultIdentity(): string {
  let host = Deno.env.get("POD_NAME") ?? "";
  if (!host) {
    try {
      host = Deno.hostname();
    } catch {
      host = "serval";
    }
  }
  return `${host}_${crypto.randomUUID().slice(0, 8)}`;
}

/** The pod's namespace from the ServiceAccount mount, else `default`. */
export async function defaultElectionNamespace(dir = SERVICE_ACCOUNT_DIR): Promise<string> {
  try {
    return (await Deno.readTextFile(`${dir}/namespace`)).trim() || "default";
  } catch {
    return "default";
  }
}

/** A Lease `MicroTime`: RFC 3339 with microseconds. */
function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** A signal that aborts when `parent` does or `ms` pass on `clock`; `done()` frees its timer. */
function deadlineSignal(clock: Clock, ms: number, parent?: AbortSignal) {
  const controller = new AbortController();
  const timer = clock.setTimeout(
    () => controller.abort(new DOMException("The request timed out", "TimeoutError")),
    ms,
  );
  const signal = parent ? AbortSignal.any([parent, controller.signal]) : controller.signal;
  return { signal, done: () => timer.cancel() };
}

/** Creates an elector; call `start()`. */
export function createLeaderElector(options: LeaderElectorOptions): LeaderElector {
  const identity = options.identity ?? defaultIdentity();
  const name = options.name ?? "serval-k8s-gateway";
  const leaseDurationMs = options.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
  const retryPeriodMs = options.retryPeriodMs ?? 2_000;
  const random = options.random ?? Math.random;
  const clock = options.clock ?? systemClock;
  const log = options.logger.child({ component: "leader-election", identity, lease: name });
  const path = `/apis/coordination.k8s.io/v1/namespaces/${
    encodeURIComponent(options.namespace)
  }/leases`;
  const listeners = new Set<(leading: boolean) => void>();
  const stopper = new AbortController();
  let leading = false;
  let running: Promise<void> | undefined;
  let observed: string | undefined;
  let observedAt = 0;
  let holder: string | undefined;
  let deadline: Timer | undefined;

  const setLeading = (value: boolean) => {
    if (leading === value) return;
    leading = value;
    if (!value) deadline?.cancel();
    log.info(value ? "became leader" : "stopped leading");
    for (const l of [...listeners]) l(value);
  };
  const renewed = () => {
    deadline?.cancel();
    deadline = clock.setTimeout(() => {
      log.warn("lease not renewed within the renew deadline; stepping down", { renewDeadlineMs });
      setLeading(false);
    }, renewDeadlineMs);
  };

  const tryAcquireOrRenew = async (): Promise<boolean> => {
    const timeout = deadlineSignal(clock, renewDeadlineMs, stopper.signal);
    try {
      return await acquireOrRenew(timeout.signal);
    } finally {
      timeout.done();
    }
  };

  const acquireOrRenew = async (signal: AbortSignal): Promise<boolean> => {
    const now = new Date();
    const spec = (old?: LeaseSpec): LeaseSpec => ({
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
      acquireTime: old?.holderIdentity === identity && old.acquireTime
        ? old.acquireTime
        : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: (old?.leaseTransitions ?? 0) +
        (old && old.holderIdentity !== identity ? 1 : 0),
    });
    let lease: Lease;
    try {
      lease = await options.client.json<Lease>("GET", `${path}/${name}`, { signal });
    } catch (err) {
      if (!isApiStatus(err, 404)) throw err;
      await options.client.request("POST", path, {
        body: {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name, namespace: options.namespace },
          spec: { ...spec(), leaseTransitions: 0 },
        },
        signal,
      });
      holder = identity;
      return true;
    }
    const record = lease.spec ?? {};
    const recordText = JSON.stringify(record);
    if (recordText !== observed) {
      observed = recordText;
      observedAt = clock.now();
    }
    holder = record.holderIdentity || undefined;
    const durationMs = (record.leaseDurationSeconds ?? leaseDurationMs / 1000) * 1000;
    if (holder && holder !== identity && observedAt + durationMs > clock.now()) {
      return false;
    }
    await options.client.request("PUT", `${path}/${name}`, {
      body: {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { ...lease.metadata },
        spec: spec(record),
      },
      signal,
    });
    holder = identity;
    return true;
  };

  const loop = async () => {
    while (!stopper.signal.aborted) {
      try {
        if (await tryAcquireOrRenew()) {
          if (!stopper.signal.aborted) {
            renewed();
            setLeading(true);
          }
        }
      } catch (err) {
        if (stopper.signal.aborted) break;
        // A conflict means another replica wrote first: not an error worth more than debug.
        if (isApiStatus(err, 409)) log.debug("lease update conflict");
        else log.warn("cannot acquire or renew the lease", { error: err });
      }
      try {
        options.onAttempt?.();
      } catch (err) {
        log.error("leader election observer failed", { error: err });
      }
      const wait = leading ? retryPeriodMs : retryPeriodMs * (1 + 0.2 * random());
      await clock.sleep(wait, stopper.signal);
    }
  };

  const release = async () => {
    const timeout = deadlineSignal(clock, retryPeriodMs * 2);
    const signal = timeout.signal;
    try {
      const lease = await options.client.json<Lease>("GET", `${path}/${name}`, { signal });
      if (lease.spec?.holderIdentity !== identity) return;
      const now = microTime(new Date());
      await options.client.request("PUT", `${path}/${name}`, {
        body: {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { ...lease.metadata },
          spec: {
            holderIdentity: "",
            leaseDurationSeconds: 1,
            acquireTime: now,
            renewTime: now,
            leaseTransitions: lease.spec.leaseTransitions ?? 0,
          },
        },
        signal,
      });
      log.info("lease released");
    } catch (err) {
      log.warn("cannot release the lease; it expires on its own", { error: err });
    } finally {
      timeout.done();
    }
  };

  return {
    identity,
    isLeader: () => leading,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    start() {
      running ??= loop();
    },
    async stop() {
      if (stopper.signal.aborted) return;
      const wasLeading = leading;
      stopper.abort();
      setLeading(false);
      await running;
      if (wasLeading) await release();
    },
    state: () => ({
      leader: leading,
      identity,
      lease: `${options.namespace}/${name}`,
      holder,
    }),
  };
}
