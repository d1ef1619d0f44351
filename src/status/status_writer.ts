/**
 * The status writer: the reconciler hands it every TranslateResult (it never
 * waits for it); it writes the statuses that differ from what the objects have,
 * in the background, rate-limited, and only while this replica is the leader.
 *
 * A failed write is retried after a full-jitter backoff (500 ms doubling to
 * 30 s), never sooner than the server's `Retry-After`.
 *
 * Writes are JSON merge patches of the status subresource carrying
 * `metadata.resourceVersion`, so a concurrent writer makes ours fail with 409
 * instead of being overwritten; on 409 the object is read again, the status
 * recomputed against it, and the write retried (a few times). Merge patches
 * replace lists wholesale, so an HTTPRoute's `parents` is sent complete, with
 * the other controllers' entries as they were read.
 *
 * The objects' current status comes from the store (the watch keeps it
 * fresh). Until the watch delivers our own write, the writer compares with
 * what it wrote, so a status is not written twice.
 *
 * @example
 * ```ts
 * import { createStatusWriter } from "./status_writer.ts";
 * import type { KubeClient } from "../kube/client.ts";
 * import { createStore } from "../source/store.ts";
 * import { createLogger } from "../log/logger.ts";
 * declare const client: KubeClient;
 * const writer = createStatusWriter({
 *   client,
 *   store: createStore(),
 *   controllerName: "gateway.serval.dev/controller",
 *   logger: createLogger(),
 * });
 * // the reconciler's statusSink: writer.update
 * ```
 * @module
 */
import type { Logger } from "../log/logger.ts";
import type { GatewayResource, ResourceKind } from "../resources/types.ts";
import { type Backoff, createBackoff } from "../kube/backoff.ts";
import { isApiStatus, KubeApiError } from "../kube/client.ts";
import { objectPath, WATCHED_KINDS } from "../kube/kinds.ts";
import { type Clock, systemClock } from "../time/clock.ts";
import type { ObjectStatus, TranslateResult } from "../model/config.ts";
import { ALWAYS_LEADER, type Leadership } from "./leader_election.ts";
import { jsonEqual, mergeStatus, SHARED_LISTS, statusPatch } from "./status_merge.ts";
import { StatusReleases } from "./status_release.ts";
import { staleStatuses } from "./stale_statuses.ts";
import { ownerOfObject } from "./status_owner.ts";
import { createTokenBucket } from "./token_bucket.ts";
import { statusKey, WantedStatuses } from "./wanted_statuses.ts";
import { WrittenStatuses } from "./written_statuses.ts";
import type {
  StatusWriteOutcome,
  StatusWriter,
  StatusWriterOptions,
  StatusWriterStats,
} from "./status_writer_options.ts";

export type { StatusWriteOutcome, StatusWriter, StatusWriterOptions, StatusWriterStats };

type Json = Record<string, unknown>;

const keyOf = statusKey;

/** Creates a writer; it writes as soon as it gets a result and is leader. */
export function createStatusWriter(options: StatusWriterOptions): StatusWriter {
  return new QueuedStatusWriter(options);
}

/** The writer: wanted statuses, the dirty ones, and one drain at a time. */
class QueuedStatusWriter implements StatusWriter {
  readonly #options: StatusWriterOptions;
  readonly #log: Logger;
  readonly #leadership: Leadership;
  readonly #clock: Clock;
  readonly #bucket: ReturnType<typeof createTokenBucket>;
  readonly #backoff: Backoff;
  readonly #now: () => Date;
  readonly #stats: Omit<StatusWriterStats, "remembered"> = {
    writes: 0,
    conflicts: 0,
    errors: 0,
    pending: 0,
  };
  readonly #wants = new WantedStatuses();
  readonly #dirty = this.#wants.dirty;
  /** What we wrote, until the store shows it. */
  readonly #written = new WrittenStatuses();
  readonly #unsubscribe: () => void;
  readonly #unsubscribeStore: () => void;
  #running: Promise<void> | undefined;
  #stopped = false;
  #inFlight = new AbortController();
  #idleWaiters: (() => void)[] = [];
  /** The key being written now. */
  #writing: string | undefined;
  /** What is written for objects translate no longer reports on. */
  readonly #releases = new StatusReleases();
  /** Whether a result came; whether the store is yet to be searched for an earlier leader's statuses. */
  #hadResult = false;
  #sweepDue = true;
  /** Keys whose want was not written because the object is no longer ours (see `status_owner.ts`). */
  readonly #unowned = new Set<string>();

  constructor(options: StatusWriterOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: "status" });
    this.#leadership = options.leadership ?? ALWAYS_LEADER;
    this.#clock = options.clock ?? systemClock;
    this.#bucket = createTokenBucket(
      options.rateLimit ?? { perSecond: 10, burst: 20 },
      this.#clock,
    );
    this.#backoff = createBackoff({ baseMs: options.retryBaseMs ?? 500, capMs: 30_000 });
    this.#now = options.now ?? (() => new Date());
    this.#unsubscribe = this.#leadership.onChange((leading) => this.#leadershipChanged(leading));
    // A status changed behind our back (or our own write came back): no
    // rebuild follows, so that object's status is checked again here.
    this.#unsubscribeStore = options.store.onQuietChange?.((object) => {
      const key = keyOf({ kind: object.kind, ...object.metadata });
      if (!this.#wants.has(key)) return;
      // Our own write coming back: the store holds it now.
      if (this.#written.echoed(key, object.metadata.resourceVersion)) return;
      // Our own write coming back before its answer: nothing to check. A write
      // by someone else meanwhile makes ours fail with 409 and re-read.
      if (key === this.#writing) return;
      if (this.#dirty.has(key)) return;
      this.#dirty.add(key);
      this.#kick();
    }) ?? (() => {});
  }

  /** The reconciler's status sink (a bound function: it is passed around alone). */
  readonly update = (result: TranslateResult): void => {
    try {
      // Only statuses that are new objects are looked at: translate hands
      // back the very same object for a route it did not recompute, and a
      // status someone else changed comes through the store's quiet changes.
      const gone = this.#wants.take(result);
      // Left unwritten as no longer ours: wanted again, it is checked again
      // (a Gateway moved away and back before a rebuild keeps its status object).
      for (const key of this.#unowned) if (this.#wants.has(key)) this.#dirty.add(key);
      this.#unowned.clear();
      // Gone from the result but maybe not from the cluster: ours is taken back.
      // A follower takes back nothing (the leader does), nor holds releases
      // for every object deleted while it follows.
      for (const status of this.#leadership.isLeader() ? gone : []) {
        const key = this.#wants.keyOf(status);
        if (this.#wants.has(key)) continue;
        const release = this.#releases.releaseOf(status);
        if (release === undefined) continue;
        this.#wants.wantOther(key, release);
      }
      this.#hadResult = true;
      this.#sweepIfDue();
      this.#kick();
    } catch (err) {
      this.#log.error("cannot queue statuses", { error: err });
    }
  };

  idle(): Promise<void> {
    if (!this.#running && (this.#dirty.size === 0 || !this.#leadership.isLeader())) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  stats(): StatusWriterStats {
    return { ...this.#stats, pending: this.#dirty.size, remembered: this.#written.size };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe();
    this.#unsubscribeStore();
    this.#inFlight.abort();
    await this.#running;
    this.#settleIdle();
  }

  #leadershipChanged(leading: boolean): void {
    if (leading) {
      // A new leader does not know what the previous one wrote: check everything.
      for (const key of this.#wants.keys()) this.#dirty.add(key);
      this.#sweepDue = true;
      this.#sweepIfDue();
      this.#kick();
    } else {
      this.#inFlight.abort();
      this.#inFlight = new AbortController();
    }
  }

  /**
   * Once per leadership, with a result in hand: takes back what an earlier
   * process wrote on objects that stopped being ours while none ran
   * (`stale_statuses.ts`), which no change will ever show this one.
   */
  #sweepIfDue(): void {
    if (!this.#sweepDue || !this.#hadResult || !this.#leadership.isLeader()) return;
    this.#sweepDue = false;
    for (const stale of staleStatuses(this.#options.store, (k) => this.#wants.has(k))) {
      const release = this.#releases.releaseOf(stale);
      if (release === undefined) continue;
      const key = this.#wants.keyOf(release);
      // Found as ours: reset only while nobody writes it meanwhile.
      this.#releases.confirm(key, stale.kind, stale.status);
      this.#wants.wantOther(key, release);
    }
  }

  /**
   * Whether `object` (the store's, or as just read) still belongs to us; if
   * not, what the last result wanted for it is left unwritten until the next
   * result, which takes ours back (`status_owner.ts` says why).
   */
  #stillOurs(key: string, object: Json): boolean {
    const owner = ownerOfObject(this.#options.store, object as unknown as GatewayResource);
    if (owner === null || owner === this.#options.controllerName) return true;
    this.#unowned.add(key);
    this.#report("skipped");
    return false;
  }

  #report(outcome: StatusWriteOutcome): void {
    try {
      this.#options.onWrite?.(outcome);
    } catch (err) {
      this.#log.error("status write observer failed", { error: err });
    }
  }

  #kick(): void {
    this.#stats.pending = this.#dirty.size;
    if (this.#running || this.#stopped || !this.#leadership.isLeader()) {
      return this.#settleIdle();
    }
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
      if (!this.#stopped && this.#dirty.size > 0 && this.#leadership.isLeader()) this.#kick();
      else this.#settleIdle();
    });
  }

  #settleIdle(): void {
    if (this.#running) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  async #drain(): Promise<void> {
    while (!this.#stopped && this.#dirty.size > 0 && this.#leadership.isLeader()) {
      const signal = this.#inFlight.signal;
      const key = this.#dirty.values().next().value!;
      this.#dirty.delete(key);
      const want = this.#wants.get(key);
      if (!want) continue;
      let ok: boolean;
      try {
        this.#writing = key;
        try {
          ok = await this.#writeOne(want, signal);
        } finally {
          this.#writing = undefined;
        }
        if (ok) this.#backoff.reset();
        if (ok && this.#releases.isRelease(want) && this.#wants.get(key) === want) {
          // Taken back once: nothing of ours is wanted there any more, nor kept.
          this.#wants.forgetOther(key);
          this.#written.forget(key);
          this.#releases.forget(key);
        }
      } catch (err) {
        if (signal.aborted) {
          ok = false;
        } else {
          await this.#failed(key, err, signal);
          continue;
        }
      }
      if (!ok) this.#dirty.add(key);
      if (signal.aborted) break;
    }
    this.#stats.pending = this.#dirty.size;
  }

  /** A write failed: count it, queue it again, and wait before the next. */
  async #failed(key: string, err: unknown, signal: AbortSignal): Promise<void> {
    this.#stats.errors += 1;
    this.#report("failed");
    this.#log.warn("cannot write status; will retry", { object: key, error: err });
    this.#dirty.add(key);
    // A 429 or 5xx may say when to come back: never sooner than that.
    await this.#clock.sleep(
      this.#backoff.next(err instanceof KubeApiError ? err.retryAfterMs : undefined),
      signal,
    );
  }

  /** Writes one status; returns false to retry later. */
  async #writeOne(want: ObjectStatus, signal: AbortSignal): Promise<boolean> {
    const key = keyOf(want);
    // The store's latest version: our own writes and others' come back
    // through it, with no rebuild in between.
    const stored = this.#options.store.get(want.kind as ResourceKind, want.namespace, want.name) as
      | Json
      | undefined;
    if (!stored) {
      // Deleted, or not seen yet: the next result brings it back.
      this.#report("skipped");
      return true;
    }
    const release = this.#releases.isRelease(want);
    if (!release && !this.#stillOurs(key, stored)) return true;
    // A release's conditions speak of the object as it is now.
    if (release) want = { ...want, generation: Number((stored.metadata as Json).generation ?? 0) };
    let current = this.#written.baseFor(key, stored);
    const path = objectPath(kindOf(want.kind), want.namespace, want.name) + "/status";
    for (let attempt = 0;; attempt++) {
      const outcome = await this.#attempt({ want, key, release }, current, path, signal);
      if (outcome instanceof KubeApiError) {
        // A 409: someone wrote in between. Read it again and merge anew.
        if (attempt >= (this.#options.maxConflictRetries ?? 3)) throw outcome;
        current = await this.#options.client.json<Json>("GET", path, { signal });
        if (!release && !this.#stillOurs(key, current)) return true;
        continue;
      }
      if (typeof outcome === "object") {
        const now = this.#options.store.get(want.kind as ResourceKind, want.namespace, want.name);
        this.#written.remember(key, stored, outcome, now?.metadata.resourceVersion);
        return true;
      }
      return outcome;
    }
  }

  /**
   * One PATCH of `want` over `current`: `true` when written or nothing to
   * write, `false` to retry later, the updated object, or the 409 error.
   */
  async #attempt(
    { want, key, release }: { want: ObjectStatus; key: string; release: boolean },
    current: Json,
    path: string,
    signal: AbortSignal,
  ): Promise<boolean | Json | KubeApiError> {
    const status = current.status as Json | undefined;
    if (release && !this.#releases.mayWrite(key, want.kind, status)) {
      this.#report("skipped");
      return true;
    }
    const next = mergeStatus(want, status, this.#options.controllerName, this.#now().toISOString());
    const sharedList = SHARED_LISTS[want.kind as keyof typeof SHARED_LISTS]?.list;
    if (
      jsonEqual(next, status ?? {}) ||
      (sharedList !== undefined && jsonEqual(next[sharedList], status?.[sharedList] ?? []))
    ) {
      if (!release) this.#releases.confirm(key, want.kind, status);
      this.#report("skipped");
      return true;
    }
    await this.#bucket.take(signal);
    if (signal.aborted || !this.#leadership.isLeader()) return false;
    const version = String((current.metadata as Json).resourceVersion ?? "");
    try {
      const updated = await this.#options.client.json<Json>("PATCH", path, {
        body: {
          metadata: { resourceVersion: version },
          status: statusPatch(want.kind, next, status),
        },
        contentType: "application/merge-patch+json",
        signal,
      });
      this.#stats.writes += 1;
      this.#report("ok");
      this.#log.debug("status written", { object: key });
      if (!release) this.#releases.confirm(key, want.kind, updated.status);
      return updated;
    } catch (err) {
      if (signal.aborted) throw err;
      if (isApiStatus(err, 404)) {
        this.#report("skipped");
        return true;
      }
      if (!isApiStatus(err, 409)) throw err;
      this.#report("conflict");
      this.#stats.conflicts += 1;
      return err;
    }
  }
}

function kindOf(kind: string) {
  return WATCHED_KINDS.find((k) => k.kind === kind)!;
}
