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
import { createBackoff } from "../kube/backoff.ts";
import { isApiStatus, KubeApiError, type KubeClient } from "../kube/client.ts";
import { objectPath, WATCHED_KINDS } from "../kube/kinds.ts";
import type { Store } from "../source/store.ts";
import { type Clock, systemClock } from "../time/clock.ts";
import type { ObjectStatus, TranslateResult } from "../model/config.ts";
import { ALWAYS_LEADER, type Leadership } from "./leader_election.ts";
import { STATUS_KINDS } from "./status_kinds.ts";
import { jsonEqual, mergeStatus, SHARED_LISTS, statusPatch } from "./status_merge.ts";
import { createTokenBucket, type TokenBucketOptions } from "./token_bucket.ts";

type Json = Record<string, unknown>;

/**
 * The outcome of one status the writer had to bring up to date:
 * - `ok`: a PATCH succeeded;
 * - `conflict`: a PATCH answered 409 (the object is read again and the write retried);
 * - `failed`: a PATCH failed otherwise, or conflicted too often (retried after a backoff);
 * - `skipped`: no PATCH was needed (the object already has that status) or it no
 *   longer applies (the object is gone).
 */
export type StatusWriteOutcome = "ok" | "conflict" | "failed" | "skipped";

/** Options of {@linkcode createStatusWriter}. */
export interface StatusWriterOptions {
  client: KubeClient;
  /** The source's store: current objects, with their status and resourceVersion. */
  store: Pick<Store, "list">;
  controllerName: string;
  logger: Logger;
  /** Default {@linkcode ALWAYS_LEADER}. */
  leadership?: Leadership;
  /** Default 10 writes a second, bursts of 20. */
  rateLimit?: TokenBucketOptions;
  /** Retries after a 409 conflict. Default 3. */
  maxConflictRetries?: number;
  /** Backoff before retrying a failed write. Default 500 ms doubling to 30 s. */
  retryBaseMs?: number;
  /** Wall-clock time for `lastTransitionTime`. */
  now?: () => Date;
  /** Time for the rate limit and the retry backoff. Default {@linkcode systemClock}. */
  clock?: Clock;
  /** Told every outcome, e.g. for a metrics counter. Must not throw. */
  onWrite?: (outcome: StatusWriteOutcome) => void;
}

/** Counters, for `/config` and tests. */
export interface StatusWriterStats {
  writes: number;
  conflicts: number;
  errors: number;
  pending: number;
}

/** A running status writer. */
export interface StatusWriter {
  /** The reconciler's status sink: never blocks, never throws. */
  readonly update: (result: TranslateResult) => void;
  /** Resolves once nothing is pending or being written (or writing is paused). */
  idle(): Promise<void>;
  stats(): StatusWriterStats;
  /** Stops writing; in-flight requests are aborted. */
  stop(): Promise<void>;
}

const keyOf = (s: { kind: string; namespace?: string; name: string }) =>
  `${s.kind}/${s.namespace ?? ""}/${s.name}`;

/** Creates a writer; it writes as soon as it gets a result and is leader. */
export function createStatusWriter(options: StatusWriterOptions): StatusWriter {
  const log = options.logger.child({ component: "status" });
  const leadership = options.leadership ?? ALWAYS_LEADER;
  const clock = options.clock ?? systemClock;
  const bucket = createTokenBucket(options.rateLimit ?? { perSecond: 10, burst: 20 }, clock);
  const maxConflictRetries = options.maxConflictRetries ?? 3;
  const backoff = createBackoff({ baseMs: options.retryBaseMs ?? 500, capMs: 30_000 });
  const now = options.now ?? (() => new Date());
  const report = (outcome: StatusWriteOutcome) => {
    try {
      options.onWrite?.(outcome);
    } catch (err) {
      log.error("status write observer failed", { error: err });
    }
  };
  const stats: StatusWriterStats = { writes: 0, conflicts: 0, errors: 0, pending: 0 };
  let wanted = new Map<string, ObjectStatus>();
  const dirty = new Set<string>();
  /** What we wrote, until the store shows a newer version than the one we wrote over. */
  const written = new Map<string, { fromVersion: string; object: Json }>();
  let running: Promise<void> | undefined;
  let stopped = false;
  let inFlight = new AbortController();
  let idleWaiters: (() => void)[] = [];

  // Built once per drain: a lookup per status would make a pass quadratic.
  let index = new Map<string, GatewayResource>();
  const indexStore = () => {
    index = new Map();
    for (const kind of STATUS_KINDS as readonly ResourceKind[]) {
      for (const o of options.store.list(kind)) index.set(keyOf({ kind, ...o.metadata }), o);
    }
  };
  const find = (s: ObjectStatus): GatewayResource | undefined => index.get(keyOf(s));

  const kindOf = (kind: string) => WATCHED_KINDS.find((k) => k.kind === kind)!;

  /** Writes one status; returns false to retry later. */
  const writeOne = async (want: ObjectStatus, signal: AbortSignal): Promise<boolean> => {
    const key = keyOf(want);
    const stored = find(want) as Json | undefined;
    if (!stored) {
      // Deleted, or not seen yet: the next result brings it back.
      report("skipped");
      return true;
    }
    let current: Json = stored;
    const mine = written.get(key);
    const storedVersion = (stored.metadata as Json).resourceVersion;
    if (mine && mine.fromVersion === storedVersion) current = mine.object;
    else written.delete(key);
    const path = objectPath(kindOf(want.kind), want.namespace, want.name) + "/status";
    const sharedList = SHARED_LISTS[want.kind as keyof typeof SHARED_LISTS]?.list;
    for (let attempt = 0;; attempt++) {
      const status = current.status as Json | undefined;
      const next = mergeStatus(want, status, options.controllerName, now().toISOString());
      if (
        jsonEqual(next, status ?? {}) ||
        (sharedList !== undefined && jsonEqual(next[sharedList], status?.[sharedList] ?? []))
      ) {
        report("skipped");
        return true;
      }
      await bucket.take(signal);
      if (signal.aborted || !leadership.isLeader()) return false;
      const version = String((current.metadata as Json).resourceVersion ?? "");
      try {
        const updated = await options.client.json<Json>("PATCH", path, {
          body: {
            metadata: { resourceVersion: version },
            status: statusPatch(want.kind, next, status),
          },
          contentType: "application/merge-patch+json",
          signal,
        });
        stats.writes += 1;
        report("ok");
        written.set(key, { fromVersion: String(storedVersion), object: updated });
        log.debug("status written", { object: key });
        return true;
      } catch (err) {
        if (signal.aborted) throw err;
        if (isApiStatus(err, 404)) {
          report("skipped");
          return true;
        }
        if (!isApiStatus(err, 409)) throw err;
        report("conflict");
        stats.conflicts += 1;
        if (attempt >= maxConflictRetries) throw err;
        current = await options.client.json<Json>("GET", path, { signal });
      }
    }
  };

  const drain = async () => {
    indexStore();
    while (!stopped && dirty.size > 0 && leadership.isLeader()) {
      const signal = inFlight.signal;
      const key = dirty.values().next().value!;
      dirty.delete(key);
      const want = wanted.get(key);
      if (!want) continue;
      let ok: boolean;
      try {
        ok = await writeOne(want, signal);
        if (ok) backoff.reset();
      } catch (err) {
        if (signal.aborted) {
          ok = false;
        } else {
          stats.errors += 1;
          report("failed");
          log.warn("cannot write status; will retry", { object: key, error: err });
          ok = false;
          dirty.add(key);
          // A 429 or 5xx may say when to come back: never sooner than that.
          await clock.sleep(
            backoff.next(err instanceof KubeApiError ? err.retryAfterMs : undefined),
            signal,
          );
          continue;
        }
      }
      if (!ok) dirty.add(key);
      if (signal.aborted) break;
    }
    stats.pending = dirty.size;
  };

  const kick = () => {
    stats.pending = dirty.size;
    if (running || stopped || !leadership.isLeader()) return settleIdle();
    running = drain().finally(() => {
      running = undefined;
      if (!stopped && dirty.size > 0 && leadership.isLeader()) kick();
      else settleIdle();
    });
  };

  const settleIdle = () => {
    if (running) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };

  const unsubscribe = leadership.onChange((leading) => {
    if (leading) {
      // A new leader does not know what the previous one wrote: check everything.
      for (const key of wanted.keys()) dirty.add(key);
      kick();
    } else {
      inFlight.abort();
      inFlight = new AbortController();
    }
  });

  return {
    update(result) {
      try {
        const next = new Map<string, ObjectStatus>();
        for (const s of result.statuses) next.set(keyOf(s), s);
        // Every wanted status is compared again: someone else may have changed an
        // object's status since our last write (the store change that brought
        // this result). Comparing is cheap; only differences are written.
        for (const key of next.keys()) dirty.add(key);
        for (const key of dirty) if (!next.has(key)) dirty.delete(key);
        wanted = next;
        kick();
      } catch (err) {
        log.error("cannot queue statuses", { error: err });
      }
    },
    idle() {
      if (!running && (dirty.size === 0 || !leadership.isLeader())) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    stats: () => ({ ...stats, pending: dirty.size }),
    async stop() {
      stopped = true;
      unsubscribe();
      inFlight.abort();
      await running;
      settleIdle();
    },
  };
}
