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
  return new LeaseElector(options);
}

const LEASE_API = { apiVersion: "coordination.k8s.io/v1", kind: "Lease" } as const;

/** Campaigns for one Lease; its state in named fields. */
class LeaseElector implements LeaderElector {
  readonly identity: string;
  readonly #options: LeaderElectorOptions;
  readonly #name: string;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #random: () => number;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #path: string;
  readonly #listeners = new Set<(leading: boolean) => void>();
  readonly #stopper = new AbortController();
  #leading = false;
  #running: Promise<void> | undefined;
  /** The lease record last seen, and when (by our clock) it last changed. */
  #observed: string | undefined;
  #observedAt = 0;
  #holder: string | undefined;
  #deadline: Timer | undefined;

  constructor(options: LeaderElectorOptions) {
    this.#options = options;
    this.identity = options.identity ?? defaultIdentity();
    this.#name = options.name ?? "serval-k8s-gateway";
    this.#leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.#renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.#retryPeriodMs = options.retryPeriodMs ?? 2_000;
    this.#random = options.random ?? Math.random;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger.child({
      component: "leader-election",
      identity: this.identity,
      lease: this.#name,
    });
    this.#path = `/apis/coordination.k8s.io/v1/namespaces/${
      encodeURIComponent(options.namespace)
    }/leases`;
  }

  isLeader(): boolean {
    return this.#leading;
  }

  onChange(listener: (leading: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): void {
    this.#running ??= this.#loop();
  }

  async stop(): Promise<void> {
    if (this.#stopper.signal.aborted) return;
    const wasLeading = this.#leading;
    this.#stopper.abort();
    this.#setLeading(false);
    await this.#running;
    if (wasLeading) await this.#release();
  }

  state(): { leader: boolean; identity: string; lease: string; holder?: string } {
    return {
      leader: this.#leading,
      identity: this.identity,
      lease: `${this.#options.namespace}/${this.#name}`,
      holder: this.#holder,
    };
  }

  #setLeading(value: boolean): void {
    if (this.#leading === value) return;
    this.#leading = value;
    if (!value) this.#deadline?.cancel();
    this.#log.info(value ? "became leader" : "stopped leading");
    for (const l of [...this.#listeners]) l(value);
  }

  #renewed(): void {
    this.#deadline?.cancel();
    this.#deadline = this.#clock.setTimeout(() => {
      this.#log.warn("lease not renewed within the renew deadline; stepping down", {
        renewDeadlineMs: this.#renewDeadlineMs,
      });
      this.#setLeading(false);
    }, this.#renewDeadlineMs);
  }

  async #loop(): Promise<void> {
    while (!this.#stopper.signal.aborted) {
      try {
        if (await this.#tryAcquireOrRenew() && !this.#stopper.signal.aborted) {
          this.#renewed();
          this.#setLeading(true);
        }
      } catch (err) {
        if (this.#stopper.signal.aborted) break;
        // A conflict means another replica wrote first: not an error worth more than debug.
        if (isApiStatus(err, 409)) this.#log.debug("lease update conflict");
        else this.#log.warn("cannot acquire or renew the lease", { error: err });
      }
      try {
        this.#options.onAttempt?.();
      } catch (err) {
        this.#log.error("leader election observer failed", { error: err });
      }
      const retry = this.#retryPeriodMs;
      const wait = this.#leading ? retry : retry * (1 + 0.2 * this.#random());
      await this.#clock.sleep(wait, this.#stopper.signal);
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const timeout = deadlineSignal(this.#clock, this.#renewDeadlineMs, this.#stopper.signal);
    try {
      return await this.#acquireOrRenew(timeout.signal);
    } finally {
      timeout.done();
    }
  }

  /** The spec we write: ours from now, keeping the acquire time of our own lease. */
  #spec(now: Date, old?: LeaseSpec): LeaseSpec {
    const identity = this.identity;
    return {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.#leaseDurationMs / 1000),
      acquireTime: old?.holderIdentity === identity && old.acquireTime
        ? old.acquireTime
        : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: (old?.leaseTransitions ?? 0) +
        (old && old.holderIdentity !== identity ? 1 : 0),
    };
  }

  async #acquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const now = new Date();
    const client = this.#options.client;
    let lease: Lease;
    try {
      lease = await client.json<Lease>("GET", `${this.#path}/${this.#name}`, { signal });
    } catch (err) {
      if (!isApiStatus(err, 404)) throw err;
      await client.request("POST", this.#path, {
        body: {
          ...LEASE_API,
          metadata: { name: this.#name, namespace: this.#options.namespace },
          spec: { ...this.#spec(now), leaseTransitions: 0 },
        },
        signal,
      });
      this.#holder = this.identity;
      return true;
    }
    const record = lease.spec ?? {};
    if (this.#heldByAnother(record)) return false;
    await client.request("PUT", `${this.#path}/${this.#name}`, {
      body: { ...LEASE_API, metadata: { ...lease.metadata }, spec: this.#spec(now, record) },
      signal,
    });
    this.#holder = this.identity;
    return true;
  }

  /**
   * Whether another replica holds the lease: its record changed (by our
   * clock) less than its duration ago. Clocks of other replicas are never
   * compared with ours.
   */
  #heldByAnother(record: LeaseSpec): boolean {
    const recordText = JSON.stringify(record);
    if (recordText !== this.#observed) {
      this.#observed = recordText;
      this.#observedAt = this.#clock.now();
    }
    this.#holder = record.holderIdentity || undefined;
    const durationMs = (record.leaseDurationSeconds ?? this.#leaseDurationMs / 1000) * 1000;
    return this.#holder !== undefined && this.#holder !== this.identity &&
      this.#observedAt + durationMs > this.#clock.now();
  }

  async #release(): Promise<void> {
    const timeout = deadlineSignal(this.#clock, this.#retryPeriodMs * 2);
    const signal = timeout.signal;
    const client = this.#options.client;
    try {
      const lease = await client.json<Lease>("GET", `${this.#path}/${this.#name}`, { signal });
      if (lease.spec?.holderIdentity !== this.identity) return;
      const now = microTime(new Date());
      await client.request("PUT", `${this.#path}/${this.#name}`, {
        body: {
          ...LEASE_API,
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
      this.#log.info("lease released");
    } catch (err) {
      this.#log.warn("cannot release the lease; it expires on its own", { error: err });
    } finally {
      timeout.done();
    }
  }
}
