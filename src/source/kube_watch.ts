/**
 * One list+watch loop per kind, over `fetch`.
 *
 * Why not `@kubernetes/client-node`'s informer: measured here (2.0.1), a watch
 * that receives nothing for ~30 s is aborted client-side and the informer then
 * neither reconnects nor reports an error, so a quiet kind (a GatewayClass may
 * not change for weeks) silently stops updating; it also sends neither
 * `allowWatchBookmarks` nor `timeoutSeconds`, stops for good on any other
 * error, reconnects without jitter and never retries a 401. Each of those is a
 * few lines in a loop of our own, and each is tested against the fake API
 * server in `tests/fake_kube/`.
 *
 * The loop: list (paginated) → `store.replaceKind` → watch from the list's
 * resourceVersion with bookmarks and a jittered server timeout; events update
 * the store; `410 Gone` (HTTP status or `ERROR` event) → relist; no bytes for
 * longer than the server timeout plus a margin → abort and reconnect (a hung
 * connection otherwise waits forever); every other failure → full-jitter
 * exponential backoff, with `Retry-After` as a floor. The store keeps the last
 * good objects through every failure; a relist replaces them wholesale.
 *
 * A kind whose list answers 404 (its CRD is not installed) counts as synced
 * with no objects, so readiness is not blocked by an optional CRD; it is
 * logged, reported as `lastError`, and listed again every `notFoundRetryMs`.
 *
 * @module
 */
import { errorMessage } from "../log/error_message.ts";
import type { Logger } from "../log/logger.ts";
import type { Problem } from "../model/config.ts";
import { type Backoff, createBackoff } from "../kube/backoff.ts";
import { isApiStatus, KubeApiError } from "../kube/client.ts";
import { apiVersionOf, kindPath, type WatchedKind } from "../kube/kinds.ts";
import { KindObjects } from "./kube_objects.ts";
import { readWatchStream } from "./watch_stream.ts";
import type { KindSyncState } from "./source.ts";
import type { KindWatcher, KindWatcherOptions, KubeWatchTiming } from "./kind_watcher.ts";
import { type Clock, systemClock, type Timer } from "../time/clock.ts";

interface ListBody {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: Record<string, unknown>[];
}

/** Objects per list page unless the timing says otherwise (see `KubeWatchTiming.pageSize`). */
export const DEFAULT_PAGE_SIZE = 5_000;

/** Largest backoff wait of a kind's list+watch loop, in ms. */
export const DEFAULT_BACKOFF_CAP_MS = 4_000;

class IdleTimeoutError extends Error {
  constructor(ms: number) {
    super(`Watch stream stalled: no bytes received for ${ms} ms`);
    this.name = "IdleTimeoutError";
  }
}

class RelistRequested extends Error {
  constructor() {
    super("Relist requested");
    this.name = "RelistRequested";
  }
}

/** Creates the list+watch loop of one kind; call `start()`. */
export function createKindWatcher(options: KindWatcherOptions): KindWatcher {
  return new ListWatchLoop(options);
}

/** The list+watch loop of one kind, its state in named fields. */
class ListWatchLoop implements KindWatcher {
  readonly kind: WatchedKind;
  readonly synced: Promise<void>;
  readonly #options: KindWatcherOptions;
  readonly #log: Logger;
  readonly #random: () => number;
  readonly #timing: Required<Omit<KubeWatchTiming, "backoff" | "clock">>;
  readonly #backoff: Backoff;
  readonly #clock: Clock;
  readonly #path: string;
  readonly #objects: KindObjects;
  readonly #state: KindSyncState = { synced: false, objects: 0 };
  readonly #stopper = new AbortController();
  #running: Promise<void> | undefined;
  #resourceVersion: string | undefined;
  #needList = true;
  #inFlight: AbortController | undefined;
  #wake = new AbortController();
  #relistWaiters: ((ok: boolean) => void)[] = [];
  #markSynced!: () => void;

  constructor(options: KindWatcherOptions) {
    const timing = options.timing ?? {};
    this.kind = options.kind;
    this.#options = options;
    this.#log = options.logger.child({ kind: options.kind.kind });
    this.#random = options.random ?? Math.random;
    this.#timing = {
      watchTimeoutSeconds: timing.watchTimeoutSeconds ?? 300,
      watchTimeoutJitter: timing.watchTimeoutJitter ?? 0.2,
      idleMarginMs: timing.idleMarginMs ?? 30_000,
      listTimeoutMs: timing.listTimeoutMs ?? 60_000,
      pageSize: timing.pageSize ?? DEFAULT_PAGE_SIZE,
      notFoundRetryMs: timing.notFoundRetryMs ?? 60_000,
    };
    this.#backoff = createBackoff({
      random: this.#random,
      capMs: DEFAULT_BACKOFF_CAP_MS,
      ...timing.backoff,
    });
    this.#clock = timing.clock ?? systemClock;
    this.#path = kindPath(options.kind);
    this.#objects = new KindObjects(options.kind, options.store, options.validate, this.#log);
    this.synced = new Promise<void>((resolve) => this.#markSynced = resolve);
  }

  start(): void {
    this.#running ??= this.#loop();
  }

  relist(): Promise<boolean> {
    const done = new Promise<boolean>((resolve) => this.#relistWaiters.push(resolve));
    this.#needList = true;
    this.#inFlight?.abort(new RelistRequested());
    this.#wake.abort();
    if (this.#stopper.signal.aborted) this.#settleRelist(false);
    return done;
  }

  state(): KindSyncState {
    return { ...this.#state, objects: this.#options.store.list(this.kind.kind).length };
  }

  problems(): Problem[] {
    return this.#objects.problems();
  }

  async stop(): Promise<void> {
    this.#stopper.abort();
    this.#inFlight?.abort();
    await this.#running;
  }

  async #loop(): Promise<void> {
    while (!this.#stopper.signal.aborted) {
      if (this.#needList && !(await this.#listStep())) continue;
      if (this.#stopper.signal.aborted) break;
      await this.#watchStep();
    }
    this.#markSynced();
    this.#settleRelist(false);
  }

  /** Lists the kind; `false` when the loop must go round again before watching. */
  async #listStep(): Promise<boolean> {
    try {
      await this.#listAll();
      this.#needList = false;
      this.#state.synced = true;
      this.#markHeard();
      this.#backoff.reset();
      this.#markSynced();
      this.#settleRelist(true);
      this.#log.debug("listed", {
        objects: this.#options.store.list(this.kind.kind).length,
        resourceVersion: this.#resourceVersion,
      });
      return true;
    } catch (err) {
      if (this.#stopper.signal.aborted) return false;
      if (isApiStatus(err, 404)) {
        await this.#notServed();
        return false;
      }
      if (err instanceof RelistRequested) return false;
      this.#fail(err);
      this.#settleRelist(false);
      const wait = this.#backoff.next(err instanceof KubeApiError ? err.retryAfterMs : undefined);
      this.#log.warn("list failed; retrying", { error: err, retryMs: Math.round(wait) });
      await this.#pause(wait);
      return false;
    }
  }

  /** Optional CRD not installed: empty, synced, and checked again slowly. */
  async #notServed(): Promise<void> {
    const kind = this.kind;
    this.#objects.clear();
    this.#state.synced = true;
    this.#state.lastError = `Cannot list ${kind.resource}: the API server does not serve ` +
      `${apiVersionOf(kind)} ${kind.resource} (is the CRD installed?)`;
    this.#log.warn("kind not served by the API server; retrying later", {
      resource: `${kind.resource}.${kind.group}`,
      version: kind.version,
      retryMs: this.#timing.notFoundRetryMs,
    });
    this.#markSynced();
    this.#settleRelist(true);
    await this.#pause(this.#timing.notFoundRetryMs);
  }

  async #watchStep(): Promise<void> {
    try {
      const outcome = await this.#watchOnce();
      this.#watchRestarted();
      if (outcome === "relist") {
        const wait = this.#backoff.next();
        this.#log.info("resource version expired; relisting", {
          resourceVersion: this.#resourceVersion,
          retryMs: Math.round(wait),
        });
        this.#needList = true;
        await this.#pause(wait);
      }
    } catch (err) {
      if (this.#stopper.signal.aborted) return;
      this.#watchRestarted();
      if (err instanceof RelistRequested) return;
      if (isApiStatus(err, 410) || isApiStatus(err, 404)) {
        this.#needList = true;
        // An answer, so the API server is up: relist without the outage's wait.
        this.#backoff.reset();
      }
      this.#fail(err);
      const wait = this.#backoff.next(err instanceof KubeApiError ? err.retryAfterMs : undefined);
      this.#log.warn("watch failed; reconnecting", { error: err, retryMs: Math.round(wait) });
      await this.#pause(wait);
    }
  }

  /**
   * Lists every page. The next page is requested before this one is
   * validated, so the API server's work and ours overlap.
   */
  async #listAll(): Promise<void> {
    const list = this.#objects.beginList();
    let next = this.#listPage(undefined);
    for (;;) {
      const page = await next;
      const continueToken = page.metadata?.continue || undefined;
      if (continueToken) {
        next = this.#listPage(continueToken);
        // Awaited on the next turn; this keeps a failure meanwhile from counting as unhandled.
        next.catch(() => {});
      }
      list.add(page.items ?? []);
      if (continueToken) continue;
      list.commit();
      this.#resourceVersion = page.metadata?.resourceVersion;
      return;
    }
  }

  #listPage(continueToken: string | undefined): Promise<ListBody> {
    const attempt = new AbortController();
    this.#inFlight = attempt;
    return this.#options.client.json<ListBody>("GET", this.#path, {
      query: {
        limit: this.#timing.pageSize,
        continue: continueToken,
        fieldSelector: this.kind.fieldSelector,
      },
      signal: AbortSignal.any([attempt.signal, AbortSignal.timeout(this.#timing.listTimeoutMs)]),
    });
  }

  /** One watch request, until it ends, stalls, is aborted or asks for a relist. */
  async #watchOnce(): Promise<"relist" | "ended"> {
    const attempt = new AbortController();
    this.#inFlight = attempt;
    const { watchTimeoutSeconds, watchTimeoutJitter, idleMarginMs } = this.#timing;
    const timeoutSeconds = Math.max(
      1,
      Math.round(watchTimeoutSeconds * (1 + this.#random() * watchTimeoutJitter)),
    );
    const idleMs = timeoutSeconds * 1000 + idleMarginMs;
    let idle: Timer | undefined;
    const arm = () => {
      idle?.cancel();
      idle = this.#clock.setTimeout(() => attempt.abort(new IdleTimeoutError(idleMs)), idleMs);
    };
    arm();
    try {
      const response = await this.#options.client.request("GET", this.#path, {
        query: {
          watch: "true",
          resourceVersion: this.#resourceVersion,
          allowWatchBookmarks: "true",
          timeoutSeconds,
          fieldSelector: this.kind.fieldSelector,
        },
        signal: attempt.signal,
      });
      this.#markHeard();
      // The API server answers again: whatever follows (a 410 after an
      // outage, most often) is retried from the shortest wait.
      this.#backoff.reset();
      if (!response.body) return "ended";
      return await this.#readEvents(response.body, arm);
    } catch (err) {
      const reason = attempt.signal.reason;
      if (reason instanceof IdleTimeoutError || reason instanceof RelistRequested) throw reason;
      throw err;
    } finally {
      idle?.cancel();
      this.#inFlight = undefined;
    }
  }

  /** Applies the stream's events; `arm` restarts the idle deadline at each chunk. */
  async #readEvents(
    body: ReadableStream<Uint8Array>,
    arm: () => void,
  ): Promise<"relist" | "ended"> {
    const outcome = await readWatchStream(body, arm, (event) => {
      const applied = this.#objects.apply(event);
      if (applied === "relist") return "relist";
      if (applied !== undefined) {
        if (applied.resourceVersion) this.#resourceVersion = applied.resourceVersion;
        this.#markHeard();
      }
      this.#backoff.reset();
      return undefined;
    });
    if (outcome === "ended") this.#backoff.reset();
    return outcome;
  }

  // Records a good answer from the API server (not a store change: see store.touch()).
  #markHeard(): void {
    this.#state.lastSyncTime = new Date().toISOString();
    this.#state.lastError = undefined;
  }

  #fail(err: unknown): void {
    this.#state.lastError = errorMessage(err);
  }

  #settleRelist(ok: boolean): void {
    const waiters = this.#relistWaiters;
    this.#relistWaiters = [];
    for (const w of waiters) w(ok);
  }

  async #pause(ms: number): Promise<void> {
    await this.#clock.sleep(ms, AbortSignal.any([this.#stopper.signal, this.#wake.signal]));
    if (this.#wake.signal.aborted) this.#wake = new AbortController();
  }

  #watchRestarted(): void {
    if (this.#stopper.signal.aborted) return;
    try {
      this.#options.onWatchRestart?.();
    } catch (err) {
      this.#log.error("watch restart observer failed", { error: err });
    }
  }
}
