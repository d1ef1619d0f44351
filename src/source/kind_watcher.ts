/**
 * The face of one kind's list+watch loop (`kube_watch.ts`): what it is given,
 * the timings it runs by, and what its owner may ask of it.
 * @module
 */
import type { Problem } from "../model/config.ts";
import type { BackoffOptions } from "../kube/backoff.ts";
import type { KubeClient } from "../kube/client.ts";
import type { WatchedKind } from "../kube/kinds.ts";
import type { Clock } from "../time/clock.ts";
import type { Logger } from "../log/logger.ts";
import type { ObjectValidator } from "./kube_objects.ts";
import type { KindSyncState } from "./source.ts";
import type { Store } from "./store.ts";

/** Timings of the watch loops; every one is configurable so tests can be fast. */
export interface KubeWatchTiming {
  /** Server-side watch timeout before jitter. Default 300 s. */
  watchTimeoutSeconds?: number;
  /** The timeout is stretched by a random factor in [1, 1 + jitter). Default 0.2. */
  watchTimeoutJitter?: number;
  /** Idle deadline = the watch's timeout + this margin. Default 30 s. */
  idleMarginMs?: number;
  /** Longest a list request (one page) may take. Default 60 s. */
  listTimeoutMs?: number;
  /**
   * Objects per list page. Default 5,000: each page is a round trip the list
   * waits for, and a kube-apiserver 1.36 listed 5,000 HTTPRoutes in ~0.6-1.0 s
   * as one page against ~1.9-6.7 s in pages of 500 (same run, alternating, at
   * load average ~21). client-go's informers list from the watch cache in one
   * response whatever the size, so one large page is what the API server
   * already serves its usual clients.
   */
  pageSize?: number;
  /**
   * Backoff after failures. Default 250 ms doubling to 4 s, full jitter: a
   * change made during an API outage is seen at most about 4 s after the API
   * server is back (plus one relist), and it starts over as soon as the API
   * server answers anything.
   */
  backoff?: BackoffOptions;
  /** Wait between lists of a kind whose CRD is missing (404). Default 60 s. */
  notFoundRetryMs?: number;
  /** Time for the idle deadlines and every wait. Default {@linkcode systemClock}. */
  clock?: Clock;
}

/** Options of `createKindWatcher` in `kube_watch.ts`. */
export interface KindWatcherOptions {
  kind: WatchedKind;
  client: KubeClient;
  store: Store;
  validate: ObjectValidator;
  logger: Logger;
  timing?: KubeWatchTiming;
  /** Random source in [0, 1) for jitter. */
  random?: () => number;
  /**
   * Told each time a watch request of this kind ended (server timeout, error,
   * stall, 410, relist) and the loop goes on; not at stop. Must not throw.
   */
  onWatchRestart?: () => void;
}

/** A running list+watch loop of one kind. */
export interface KindWatcher {
  readonly kind: WatchedKind;
  /** Starts the loop (once). */
  start(): void;
  /** Resolves when the first list completed (or the kind was found missing, or on stop). */
  readonly synced: Promise<void>;
  /**
   * Relists now; resolves `true` once a list succeeded (or found the kind not
   * served), `false` if the attempt failed.
   */
  relist(): Promise<boolean>;
  state(): KindSyncState;
  /** Validation problems of the objects currently known. */
  problems(): Problem[];
  /** Stops the loop and aborts the request in flight. */
  stop(): Promise<void>;
}
