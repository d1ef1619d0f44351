/**
 * The manifest-directory source (`--manifests DIR`): reads every `.yaml`,
 * `.yml` and `.json` file under the directory, validates each object and
 * keeps the store equal to what the files declare, then watches the directory
 * and re-reads it after each burst of changes.
 *
 * A burst of changes, whatever their paths, triggers one re-read of the whole
 * tree after the holdoff (`time/holdoff.ts`, the store's algorithm too), and
 * files whose text did not change are not parsed again. The read then flushes
 * the store, so a file change waits through one holdoff, not two: files
 * written in several steps settle before they are read, and the store's own
 * timer adds nothing. This
 * makes the awkward cases ordinary: editors and `kubectl`-like tools that
 * write a temporary file and rename it over the original, files written in
 * several steps, deleted and re-created directories, and Kubernetes ConfigMap
 * mounts, which change nothing but the target of a hidden `..data` link.
 * If the directory itself is removed or replaced the watcher is re-created,
 * and a slow periodic re-read covers any event the OS dropped.
 *
 * @example
 * ```ts
 * import { createFilesSource } from "./files.ts";
 * import { createStore } from "./store.ts";
 * import { createLogger } from "../log/logger.ts";
 * const source = createFilesSource({ dir: "examples", store: createStore(), logger: createLogger() });
 * await source.start();
 * source.problems(); // malformed documents, with file and field
 * await source.stop();
 * ```
 * @module
 */
import type { Logger } from "../log/logger.ts";
import type { Problem } from "../model/config.ts";
import { createManifestCatalog } from "./files_catalog.ts";
import { RESOURCE_KINDS } from "../resources/types.ts";
import { errorMessage, listManifestFiles } from "./files_walk.ts";
import type { KindSyncState, ReloadOutcome, Source } from "./source.ts";
import type { Store } from "./store.ts";
import { type Clock, systemClock, type Timer } from "../time/clock.ts";
import { Holdoff } from "../time/holdoff.ts";

/** Options of {@linkcode createFilesSource}. */
export interface FilesSourceOptions {
  /** The manifest directory. */
  dir: string;
  store: Store;
  logger: Logger;
  /** Quiet time after the last file event before re-reading. Default 100 ms. */
  holdoffMs?: number;
  /** Longest a re-read waits while events keep coming. Default 10 × `holdoffMs`. */
  maxDelayMs?: number;
  /** Safety-net re-read period, in case the OS drops events. Default 30 s; 0 disables. */
  resyncMs?: number;
  /** How often to look for the directory while it is missing. Default 1 s. */
  retryMs?: number;
  /** Measures the holdoff, `resyncMs` and `retryMs`. Default {@linkcode systemClock}. */
  clock?: Clock;
}

/** Creates the files source; nothing is read until `start()`. */
export function createFilesSource(options: FilesSourceOptions): Source {
  const { dir, store } = options;
  const log = options.logger.child({ source: "files", dir });
  const resyncMs = options.resyncMs ?? 30_000;
  const retryMs = options.retryMs ?? 1_000;
  const clock = options.clock ?? systemClock;
  const stopper = new AbortController();
  const holdoffMs = options.holdoffMs ?? 100;
  const eventHoldoff = new Holdoff({
    holdoffMs,
    maxDelayMs: options.maxDelayMs ?? holdoffMs * 10,
    clock,
    // What this read changed goes to listeners now: it already waited.
    fire: () => void scheduleRead().then(() => store.flush()),
  });

  const catalog = createManifestCatalog();
  let problems: Problem[] = [];
  let reported = new Set<string>();
  let dirError: string | undefined;
  let synced = false;
  let lastSyncTime: string | undefined;
  let started = false;
  let stopped = false;

  // Re-reads run one at a time; requests made while one runs share the next.
  let chain: Promise<void> = Promise.resolve();
  let queued: Promise<void> | undefined;

  let watcher: Deno.FsWatcher | undefined;
  let watchedIdentity: string | undefined;
  let watchLoop: Promise<void> | undefined;
  let resyncTimer: Timer | undefined;

  const problemKey = (p: Problem) => `${p.object}\u0000${p.field ?? ""}\u0000${p.message}`;

  const publish = (next: Problem[]) => {
    const keys = new Set(next.map(problemKey));
    for (const p of next) {
      if (!reported.has(problemKey(p))) {
        log.warn("manifest problem", { object: p.object, field: p.field, problem: p.message });
      }
    }
    if (
      reported.size > 0 && next.every((p) => reported.has(problemKey(p))) &&
      keys.size < reported.size
    ) {
      log.info("manifest problems resolved", { remaining: keys.size });
    }
    const changed = keys.size !== reported.size || [...keys].some((k) => !reported.has(k));
    reported = keys;
    problems = next;
    // A problem alone changes no object; the store's signal still carries it
    // to the reconciler (logs, /config, metrics).
    if (changed) store.touch();
  };

  const dirMissing = (error: string) => {
    // Nothing already accepted is lost: a missing directory keeps serving
    // what it last declared until it is back.
    dirError = `Cannot read manifests directory: ${error}`;
    publish([
      { object: `file:${dir}`, message: `${dirError}; serving the last good objects` },
      ...catalog.merge().problems,
    ]);
    closeWatcher();
  };

  const readAll = async (): Promise<void> => {
    const listing = await listManifestFiles(dir);
    if (!listing.ok) return dirMissing(listing.error ?? "unknown error");
    const texts = new Map<string, string | Error>();
    for (const file of listing.files) {
      try {
        texts.set(file, await Deno.readTextFile(file));
      } catch (err) {
        // Removed between listing and reading: treated as deleted below.
        if (!(err instanceof Deno.errors.NotFound)) texts.set(file, new Error(errorMessage(err)));
      }
    }
    // `rm -rf` unlinks the files before the directory: a read that raced with
    // it would drop every object just before the directory is found missing.
    // Checking the directory after reading discards such a read.
    const stillThere = await Deno.stat(dir).then((i) => i.isDirectory, () => false);
    if (!stillThere) return dirMissing("it was removed while being read");
    dirError = undefined;
    if (watchedIdentity !== undefined && listing.identity !== watchedIdentity) {
      // The directory was replaced: the watcher still watches the old one.
      closeWatcher();
    }
    let changedFiles = 0;
    for (const file of catalog.files()) {
      if (!texts.has(file) && catalog.remove(file)) changedFiles++;
    }
    for (const [file, text] of texts) {
      if (text instanceof Error) {
        catalog.readFailed(file, text.message);
        continue;
      }
      const update = catalog.update(file, text);
      if (!update.changed) continue;
      changedFiles++;
      for (const i of update.ignored) {
        log.debug("ignoring object of a kind the gateway does not read", { ...i });
      }
    }
    const merged = catalog.merge();
    let changedKinds = 0;
    for (const kind of RESOURCE_KINDS) {
      if (store.replaceKind(kind, merged.objects[kind])) changedKinds++;
    }
    publish(merged.problems);
    lastSyncTime = new Date().toISOString();
    if (!synced || changedKinds > 0) {
      const objects = RESOURCE_KINDS.reduce((n, k) => n + merged.objects[k].length, 0);
      log.info("manifests loaded", {
        files: merged.files,
        changedFiles,
        objects,
        problems: merged.problems.length,
      });
    }
    synced = true;
  };

  const scheduleRead = (): Promise<void> => {
    if (queued) return queued;
    const run = chain.then(async () => {
      queued = undefined;
      if (stopped) return;
      try {
        await readAll();
      } catch (err) {
        // Our bug, not the user's: report it and keep watching.
        log.error("manifest re-read failed", { error: err });
      }
    });
    queued = run;
    chain = run;
    return run;
  };

  const closeWatcher = () => {
    try {
      watcher?.close();
    } catch {
      // Already closed.
    }
  };

  const watch = async () => {
    while (!stopped) {
      let failed = false;
      try {
        const info = await Deno.stat(dir);
        if (!info.isDirectory) throw new Error("not a directory");
        const fresh = Deno.watchFs(dir, { recursive: true });
        if (stopped) {
          fresh.close();
          break;
        }
        watcher = fresh;
        watchedIdentity = info.ino === null ? undefined : `${info.dev}:${info.ino}`;
        // Changes made while no watcher existed are only seen by reading again;
        // files that did not change are not parsed, so this is cheap.
        scheduleRead();
        for await (const _event of fresh) eventHoldoff.arm();
      } catch (err) {
        failed = true;
        if (!(err instanceof Deno.errors.NotFound) && !stopped) {
          log.debug("manifest watcher stopped", { error: err });
        }
      } finally {
        watcher = undefined;
      }
      if (stopped) break;
      // The directory is gone and no read has noticed yet (its events may
      // have been lost with the watch): read to report it.
      if (failed && dirError === undefined) scheduleRead();
      // Closed because the directory vanished or was replaced: look again,
      // at once if it is there, else after a pause.
      await clock.sleep(failed ? retryMs : 10, stopper.signal);
    }
  };

  const syncState = (): Record<string, KindSyncState> => {
    const state: Record<string, KindSyncState> = {};
    for (const kind of RESOURCE_KINDS) {
      const s: KindSyncState = { synced, objects: store.list(kind).length };
      if (dirError !== undefined) s.lastError = dirError;
      if (lastSyncTime !== undefined) s.lastSyncTime = lastSyncTime;
      state[kind] = s;
    }
    return state;
  };

  return {
    kind: "files",
    store,
    async start() {
      if (started) return await chain;
      started = true;
      await scheduleRead();
      if (stopped) return;
      watchLoop = watch();
      if (resyncMs > 0) resyncTimer = clock.setInterval(() => void scheduleRead(), resyncMs);
    },
    async reload(): Promise<ReloadOutcome> {
      // No flush: the caller rebuilds now, and the store's holdoff that
      // follows finds that version built.
      await scheduleRead();
      const objects = RESOURCE_KINDS.reduce((n, k) => n + store.list(k).length, 0);
      const files = catalog.files().length;
      return {
        ok: problems.length === 0,
        problems: [...problems],
        message: dirError ??
          `Read ${files} manifest file${files === 1 ? "" : "s"}: ${objects} object${
            objects === 1 ? "" : "s"
          }, ${problems.length} problem${problems.length === 1 ? "" : "s"}`,
      };
    },
    syncState,
    problems: () => [...problems],
    async stop() {
      if (stopped) return;
      stopped = true;
      resyncTimer?.cancel();
      eventHoldoff.cancel();
      stopper.abort();
      closeWatcher();
      await watchLoop;
      await chain;
    },
  };
}
