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
import type { GatewayResource } from "../resources/types.ts";
import type { Problem } from "../model/config.ts";
import { type BackoffOptions, createBackoff } from "../kube/backoff.ts";
import { isApiStatus, KubeApiError, type KubeClient } from "../kube/client.ts";
import { apiVersionOf, kindPath, type WatchedKind } from "../kube/kinds.ts";
import type { KindSyncState } from "./source.ts";
import type { Store } from "./store.ts";
import { type Clock, systemClock, type Timer } from "../time/clock.ts";

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
  /** Objects per list page. Default 500. */
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

/** The outcome of validating one raw object. */
export type ValidationOutcome =
  | { ok: true; object: GatewayResource }
  | { ok: false; problems: Problem[] };

/** Validates one raw object as received from the API server. */
export type ObjectValidator = (raw: unknown) => ValidationOutcome;

/** Options of {@linkcode createKindWatcher}. */
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

interface ListBody {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: Record<string, unknown>[];
}

interface WatchEvent {
  type?: string;
  object?: Record<string, unknown> & {
    metadata?: { name?: string; namespace?: string; resourceVersion?: string };
    code?: number;
    message?: string;
    reason?: string;
  };
}

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
  const { kind, client, store, validate } = options;
  const log = options.logger.child({ kind: kind.kind });
  const timing = options.timing ?? {};
  const random = options.random ?? Math.random;
  const watchTimeoutSeconds = timing.watchTimeoutSeconds ?? 300;
  const jitter = timing.watchTimeoutJitter ?? 0.2;
  const idleMarginMs = timing.idleMarginMs ?? 30_000;
  const listTimeoutMs = timing.listTimeoutMs ?? 60_000;
  const pageSize = timing.pageSize ?? 500;
  const notFoundRetryMs = timing.notFoundRetryMs ?? 60_000;
  const backoff = createBackoff({ random, capMs: DEFAULT_BACKOFF_CAP_MS, ...timing.backoff });
  const clock = timing.clock ?? systemClock;
  const path = kindPath(kind);
  const apiVersion = apiVersionOf(kind);

  const state: KindSyncState = { synced: false, objects: 0 };
  const problems = new Map<string, Problem[]>();
  const stopper = new AbortController();
  let running: Promise<void> | undefined;
  let resourceVersion: string | undefined;
  let needList = true;
  let inFlight: AbortController | undefined;
  let wake = new AbortController();
  let relistWaiters: ((ok: boolean) => void)[] = [];
  let markSynced!: () => void;
  const synced = new Promise<void>((resolve) => markSynced = resolve);

  // Records a good answer from the API server (not a store change: see store.touch()).
  const markHeard = () => {
    state.lastSyncTime = new Date().toISOString();
    state.lastError = undefined;
  };
  const fail = (err: unknown) => {
    state.lastError = errorMessage(err);
  };
  const settleRelist = (ok: boolean) => {
    const waiters = relistWaiters;
    relistWaiters = [];
    for (const w of waiters) w(ok);
  };
  const pause = async (ms: number) => {
    await clock.sleep(ms, AbortSignal.any([stopper.signal, wake.signal]));
    if (wake.signal.aborted) wake = new AbortController();
  };
  const watchRestarted = () => {
    if (stopper.signal.aborted) return;
    try {
      options.onWatchRestart?.();
    } catch (err) {
      log.error("watch restart observer failed", { error: err });
    }
  };
  const keyOf = (meta: { namespace?: string; name?: string } | undefined) =>
    meta?.namespace ? `${meta.namespace}/${meta.name}` : `${meta?.name}`;

  // A problem alone changes no object; touching the store carries it to the
  // reconciler through the same holdoff as object changes.
  const clearProblems = (key: string) => {
    if (problems.delete(key)) store.touch();
  };

  /** Adds `kind`/`apiVersion` (list items of built-in kinds come without them) and validates. */
  const accept = (raw: Record<string, unknown>): GatewayResource | undefined => {
    const full = { ...raw, apiVersion: raw.apiVersion ?? apiVersion, kind: raw.kind ?? kind.kind };
    const meta = raw.metadata as { namespace?: string; name?: string } | undefined;
    const outcome = validate(full);
    if (outcome.ok) {
      clearProblems(keyOf(meta));
      return outcome.object;
    }
    problems.set(keyOf(meta), outcome.problems);
    store.touch();
    log.warn("invalid object ignored", { object: keyOf(meta), problems: outcome.problems });
    return undefined;
  };

  const listAll = async (): Promise<void> => {
    const objects: GatewayResource[] = [];
    const seen = new Set<string>();
    let continueToken: string | undefined;
    let listVersion: string | undefined;
    do {
      const attempt = new AbortController();
      inFlight = attempt;
      const page = await client.json<ListBody>("GET", path, {
        query: { limit: pageSize, continue: continueToken, fieldSelector: kind.fieldSelector },
        signal: AbortSignal.any([attempt.signal, AbortSignal.timeout(listTimeoutMs)]),
      });
      for (const raw of page.items ?? []) {
        seen.add(keyOf(raw.metadata as ObjectMetaLike));
        const object = accept(raw);
        if (object) objects.push(object);
      }
      continueToken = page.metadata?.continue || undefined;
      listVersion = page.metadata?.resourceVersion;
    } while (continueToken);
    for (const key of [...problems.keys()]) if (!seen.has(key)) clearProblems(key);
    store.replaceKind(kind.kind, objects);
    resourceVersion = listVersion;
  };

  const handleEvent = (event: WatchEvent): "relist" | undefined => {
    const object = event.object ?? {};
    const meta = object.metadata;
    switch (event.type) {
      case "ADDED":
      case "MODIFIED": {
        const accepted = accept(object);
        if (accepted) store.upsert(accepted);
        else store.delete(kind.kind, meta?.namespace, String(meta?.name));
        break;
      }
      case "DELETED":
        clearProblems(keyOf(meta));
        store.delete(kind.kind, meta?.namespace, String(meta?.name));
        break;
      case "BOOKMARK":
        break;
      case "ERROR": {
        if (object.code === 410) return "relist";
        throw new KubeApiError(
          object.code ?? 500,
          `Cannot watch ${kind.resource}: ${object.message ?? "error event"}`,
          object.reason,
        );
      }
      default:
        log.warn("unknown watch event type ignored", { type: event.type });
        return undefined;
    }
    if (meta?.resourceVersion) resourceVersion = meta.resourceVersion;
    markHeard();
    return undefined;
  };

  const watchOnce = async (): Promise<"relist" | "ended"> => {
    const attempt = new AbortController();
    inFlight = attempt;
    const timeoutSeconds = Math.max(1, Math.round(watchTimeoutSeconds * (1 + random() * jitter)));
    const idleMs = timeoutSeconds * 1000 + idleMarginMs;
    let idle: Timer | undefined;
    const arm = () => {
      idle?.cancel();
      idle = clock.setTimeout(() => attempt.abort(new IdleTimeoutError(idleMs)), idleMs);
    };
    arm();
    try {
      const response = await client.request("GET", path, {
        query: {
          watch: "true",
          resourceVersion,
          allowWatchBookmarks: "true",
          timeoutSeconds,
          fieldSelector: kind.fieldSelector,
        },
        signal: attempt.signal,
      });
      markHeard();
      // The API server answers again: whatever follows (a 410 after an
      // outage, most often) is retried from the shortest wait.
      backoff.reset();
      if (!response.body) return "ended";
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          arm();
          buffer += value;
          let newline: number;
          while ((newline = buffer.indexOf("\n")) >= 0) {
            const line = buffer.slice(0, newline).trim();
            buffer = buffer.slice(newline + 1);
            if (line === "") continue;
            if (handleEvent(JSON.parse(line) as WatchEvent) === "relist") return "relist";
            backoff.reset();
          }
        }
      } finally {
        reader.cancel().catch(() => {});
      }
      if (buffer.trim() !== "") {
        // A cut connection can end cleanly in the middle of an event; what
        // follows it was never seen, so the watch resumes from the last whole event.
        throw new Error(
          `Cannot read watch stream: it ended inside an event (${buffer.length} bytes)`,
        );
      }
      backoff.reset();
      return "ended";
    } catch (err) {
      const reason = attempt.signal.reason;
      if (reason instanceof IdleTimeoutError || reason instanceof RelistRequested) throw reason;
      throw err;
    } finally {
      idle?.cancel();
      inFlight = undefined;
    }
  };

  const loop = async () => {
    while (!stopper.signal.aborted) {
      if (needList) {
        try {
          await listAll();
          needList = false;
          state.synced = true;
          markHeard();
          backoff.reset();
          markSynced();
          settleRelist(true);
          log.debug("listed", { objects: store.list(kind.kind).length, resourceVersion });
        } catch (err) {
          if (stopper.signal.aborted) break;
          if (isApiStatus(err, 404)) {
            // Optional CRD not installed: empty, synced, and checked again slowly.
            store.replaceKind(kind.kind, []);
            if (problems.size > 0) {
              problems.clear();
              store.touch();
            }
            state.synced = true;
            state.lastError = `Cannot list ${kind.resource}: the API server does not serve ` +
              `${apiVersion} ${kind.resource} (is the CRD installed?)`;
            log.warn("kind not served by the API server; retrying later", {
              resource: `${kind.resource}.${kind.group}`,
              version: kind.version,
              retryMs: notFoundRetryMs,
            });
            markSynced();
            settleRelist(true);
            await pause(notFoundRetryMs);
            continue;
          }
          if (err instanceof RelistRequested) continue;
          fail(err);
          settleRelist(false);
          const wait = backoff.next(err instanceof KubeApiError ? err.retryAfterMs : undefined);
          log.warn("list failed; retrying", { error: err, retryMs: Math.round(wait) });
          await pause(wait);
          continue;
        }
      }
      try {
        const outcome = await watchOnce();
        watchRestarted();
        if (outcome === "relist") {
          const wait = backoff.next();
          log.info("resource version expired; relisting", {
            resourceVersion,
            retryMs: Math.round(wait),
          });
          needList = true;
          await pause(wait);
        }
      } catch (err) {
        if (stopper.signal.aborted) break;
        watchRestarted();
        if (err instanceof RelistRequested) continue;
        if (isApiStatus(err, 410) || isApiStatus(err, 404)) {
          needList = true;
          // An answer, so the API server is up: relist without the outage's wait.
          backoff.reset();
        }
        fail(err);
        const wait = backoff.next(err instanceof KubeApiError ? err.retryAfterMs : undefined);
        log.warn("watch failed; reconnecting", { error: err, retryMs: Math.round(wait) });
        await pause(wait);
      }
    }
    markSynced();
    settleRelist(false);
  };

  return {
    kind,
    synced,
    start() {
      running ??= loop();
    },
    relist() {
      const done = new Promise<boolean>((resolve) => relistWaiters.push(resolve));
      needList = true;
      inFlight?.abort(new RelistRequested());
      wake.abort();
      if (stopper.signal.aborted) settleRelist(false);
      return done;
    },
    state() {
      return { ...state, objects: store.list(kind.kind).length };
    },
    problems() {
      return [...problems.values()].flat();
    },
    async stop() {
      stopper.abort();
      inFlight?.abort();
      await running;
    },
  };
}

type ObjectMetaLike = { namespace?: string; name?: string } | undefined;
