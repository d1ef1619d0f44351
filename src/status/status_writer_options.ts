/**
 * The status writer's options and what it hands back, apart from the writer
 * itself (`status_writer.ts`) so that both stay readable.
 *
 * @example
 * ```ts
 * import type { StatusWriterOptions } from "./status_writer_options.ts";
 * const options: Partial<StatusWriterOptions> = { maxConflictRetries: 3 };
 * ```
 * @module
 */
import type { Logger } from "../log/logger.ts";
import type { KubeClient } from "../kube/client.ts";
import type { Store } from "../source/store.ts";
import type { Clock } from "../time/clock.ts";
import type { TranslateResult } from "../model/config.ts";
import type { Leadership } from "./leader_election.ts";
import type { TokenBucketOptions } from "./token_bucket.ts";

/**
 * The outcome of one status the writer had to bring up to date:
 * - `ok`: a PATCH succeeded;
 * - `conflict`: a PATCH answered 409 (the object is read again and the write retried);
 * - `failed`: a PATCH failed otherwise, or conflicted too often (retried after a backoff);
 * - `skipped`: no PATCH was needed (the object already has that status) or it no
 *   longer applies (the object is gone).
 */
export type StatusWriteOutcome = "ok" | "conflict" | "failed" | "skipped";

/** Options of the status writer (`createStatusWriter`). */
export interface StatusWriterOptions {
  client: KubeClient;
  /** The source's store: current objects, with their status and resourceVersion. */
  /** `list` lets a new leader find statuses an earlier process left (`stale_statuses.ts`). */
  store: Pick<Store, "get"> & Partial<Pick<Store, "onQuietChange" | "list">>;
  controllerName: string;
  logger: Logger;
  /** Default: always the leader (`ALWAYS_LEADER`). */
  leadership?: Leadership;
  /** Default 10 writes a second, bursts of 20. */
  rateLimit?: TokenBucketOptions;
  /** Retries after a 409 conflict. Default 3. */
  maxConflictRetries?: number;
  /** Backoff before retrying a failed write. Default 500 ms doubling to 30 s. */
  retryBaseMs?: number;
  /** Wall-clock time for `lastTransitionTime`. */
  now?: () => Date;
  /** Time for the rate limit and the retry backoff. Default: the system clock. */
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
  /** Statuses we wrote that the store does not show yet (kept to write over them). */
  remembered: number;
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
