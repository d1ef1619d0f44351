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
 * If the directory itself is removed or replaced the watcher
 * (`files_watcher.ts`) is re-created, and a slow periodic re-read covers any
 * event the OS dropped.
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
import { RESOURCE_KINDS } from "../resources/types.ts";
import { type Clock, systemClock, type Timer } from "../time/clock.ts";
import { Holdoff } from "../time/holdoff.ts";
import { createManifestCatalog, type ManifestCatalog } from "./files_catalog.ts";
import { ProblemReport } from "./files_problems.ts";
import { listManifestFiles, readManifestTexts } from "./files_walk.ts";
import { readPathState } from "./files_events.ts";
import { ManifestDirWatcher } from "./files_watcher.ts";
import type { KindSyncState, ReloadOutcome, Source } from "./source.ts";
import type { Store } from "./store.ts";

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
  /**
   * How often to look for the directory while it is missing and its parent
   * cannot be watched (missing too, say). Default 1 s.
   */
  retryMs?: number;
  /** Measures the holdoff, `resyncMs` and `retryMs`. Default {@linkcode systemClock}. */
  clock?: Clock;
  /** Starts a recursive watch of the directory. Default `Deno.watchFs`; tests inject one. */
  watch?: (dir: string) => Deno.FsWatcher;
  /** Starts a watch of the directory's parent alone while the directory is missing. Default `Deno.watchFs`, not recursive. */
  watchParent?: (dir: string) => Deno.FsWatcher;
}

/** Creates the files source; nothing is read until `start()`. */
export function createFilesSource(options: FilesSourceOptions): Source {
  return new FilesSource(options);
}

/** The files source: a catalog of the directory's files, kept equal to the store. */
export class FilesSource implements Source {
  readonly kind = "files" as const;
  readonly store: Store;
  readonly #dir: string;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #resyncMs: number;
  readonly #watcher: ManifestDirWatcher;
  readonly #eventHoldoff: Holdoff;
  readonly #catalog: ManifestCatalog = createManifestCatalog();
  readonly #problems: ProblemReport;
  #dirError: string | undefined;
  #synced = false;
  #lastSyncTime: string | undefined;
  #started = false;
  #stopped = false;
  // Re-reads run one at a time; requests made while one runs share the next.
  #chain: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;
  /** What the next read covers: files named by events, or the whole tree. */
  #pendingRead: Set<string> | "all" | undefined;
  #resyncTimer: Timer | undefined;

  constructor(options: FilesSourceOptions) {
    this.store = options.store;
    this.#dir = options.dir;
    this.#log = options.logger.child({ source: "files", dir: options.dir });
    this.#clock = options.clock ?? systemClock;
    this.#resyncMs = options.resyncMs ?? 30_000;
    const holdoffMs = options.holdoffMs ?? 100;
    this.#eventHoldoff = new Holdoff({
      holdoffMs,
      maxDelayMs: options.maxDelayMs ?? holdoffMs * 10,
      clock: this.#clock,
      // What this read changed goes to listeners now: it already waited.
      fire: () =>
        void this.#scheduleRead(this.#watcher.takeChanged()).then(() => this.store.flush()),
    });
    this.#watcher = new ManifestDirWatcher({
      dir: options.dir,
      logger: this.#log,
      clock: this.#clock,
      retryMs: options.retryMs ?? 1_000,
      watch: options.watch ?? ((dir) => Deno.watchFs(dir, { recursive: true })),
      watchParent: options.watchParent ?? ((dir) => Deno.watchFs(dir, { recursive: false })),
      onChange: () => this.#eventHoldoff.arm(),
      // The directory is gone and no read has noticed yet (its events may
      // have been lost with the watch): read to report it.
      onLost: () => {
        if (this.#dirError === undefined) this.#scheduleRead();
      },
    });
    // A problem alone changes no object; the store's signal still carries it
    // to the reconciler (logs, /config, metrics).
    this.#problems = new ProblemReport(this.#log, () => this.store.touch());
  }

  async start(): Promise<void> {
    if (this.#started) return await this.#chain;
    this.#started = true;
    await this.#scheduleRead();
    if (this.#stopped) return;
    this.#watcher.start();
    if (this.#resyncMs > 0) {
      this.#resyncTimer = this.#clock.setInterval(() => void this.#scheduleRead(), this.#resyncMs);
    }
  }

  async reload(): Promise<ReloadOutcome> {
    // No flush: the caller rebuilds now, and the store's holdoff that
    // follows finds that version built.
    await this.#scheduleRead();
    const objects = RESOURCE_KINDS.reduce((n, k) => n + this.store.list(k).length, 0);
    const files = this.#catalog.files().length;
    const problems = this.#problems.current();
    return {
      ok: problems.length === 0,
      problems,
      message: this.#dirError ??
        `Read ${plural(files, "manifest file")}: ${plural(objects, "object")}, ${
          plural(problems.length, "problem")
        }`,
    };
  }

  syncState(): Record<string, KindSyncState> {
    const state: Record<string, KindSyncState> = {};
    for (const kind of RESOURCE_KINDS) {
      const s: KindSyncState = { synced: this.#synced, objects: this.store.list(kind).length };
      if (this.#dirError !== undefined) s.lastError = this.#dirError;
      if (this.#lastSyncTime !== undefined) s.lastSyncTime = this.#lastSyncTime;
      state[kind] = s;
    }
    return state;
  }

  problems(): Problem[] {
    return this.#problems.current();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#resyncTimer?.cancel();
    this.#eventHoldoff.cancel();
    await this.#watcher.stop();
    await this.#chain;
  }

  /** Reads `paths` (default: the whole tree) after the read in progress, with others asked meanwhile. */
  #scheduleRead(paths: readonly string[] | "all" = "all"): Promise<void> {
    const pending = this.#pendingRead;
    if (paths === "all" || pending === "all") this.#pendingRead = "all";
    else this.#pendingRead = new Set([...(pending ?? []), ...paths]);
    if (this.#queued) return this.#queued;
    const run = this.#chain.then(async () => {
      this.#queued = undefined;
      const pending = this.#pendingRead;
      this.#pendingRead = undefined;
      if (this.#stopped || pending === undefined) return;
      try {
        if (pending === "all") await this.#readAll();
        else await this.#readSome([...pending]);
      } catch (err) {
        // Our bug, not the user's: report it and keep watching.
        this.#log.error("manifest re-read failed", { error: err });
      }
    });
    this.#queued = run;
    this.#chain = run;
    return run;
  }

  /**
   * Reads only the files events named, when each is a manifest file of the
   * directory or gone; anything else (a directory, a link, a problem) is
   * left to a whole read.
   */
  async #readSome(paths: readonly string[]): Promise<void> {
    if (!this.#synced || this.#dirError !== undefined) return await this.#readAll();
    let changedFiles = 0;
    for (const path of paths) {
      const state = await readPathState(path);
      if (state.kind === "other") return await this.#readAll();
      if (state.kind === "manifest") {
        const update = this.#catalog.update(path, state.text);
        if (update.changed) changedFiles++;
        for (const i of update.ignored) {
          this.#log.debug("ignoring object of a kind the gateway does not read", { ...i });
        }
      } else if (state.kind === "gone" && !this.#catalog.remove(path)) {
        // A removed subdirectory takes its files with it: only a whole read knows them.
        const prefix = `${path}/`;
        if (this.#catalog.files().some((f) => f.startsWith(prefix))) return await this.#readAll();
      } else if (state.kind === "gone") {
        changedFiles++;
      }
    }
    if (changedFiles > 0) this.#applyToStore(changedFiles);
  }

  /** Reads the whole tree; files whose text did not change are not parsed again. */
  async #readAll(): Promise<void> {
    const listing = await listManifestFiles(this.#dir);
    if (!listing.ok) return this.#dirMissing(listing.error ?? "unknown error");
    const texts = await readManifestTexts(listing.files);
    // `rm -rf` unlinks the files before the directory: a read that raced with
    // it would drop every object just before the directory is found missing.
    // Checking the directory after reading discards such a read.
    const stillThere = await Deno.stat(this.#dir).then((i) => i.isDirectory, () => false);
    if (!stillThere) return this.#dirMissing("it was removed while being read");
    if (this.#dirError !== undefined) {
      // Found again: the watcher may still be waiting for it (its parent's
      // events lost, or a poll not yet due), so it looks now.
      this.#dirError = undefined;
      this.#watcher.wake();
    }
    const watched = this.#watcher.identity;
    if (watched !== undefined && listing.identity !== watched) {
      // The directory was replaced: the watcher still watches the old one.
      this.#watcher.rearm();
    }
    const changedFiles = this.#updateCatalog(texts);
    this.#applyToStore(changedFiles);
  }

  /** Brings the catalog up to date with `texts`; returns how many files changed. */
  #updateCatalog(texts: Map<string, string | Error>): number {
    let changedFiles = 0;
    for (const file of this.#catalog.files()) {
      if (!texts.has(file) && this.#catalog.remove(file)) changedFiles++;
    }
    for (const [file, text] of texts) {
      if (text instanceof Error) {
        this.#catalog.readFailed(file, text.message);
        continue;
      }
      const update = this.#catalog.update(file, text);
      if (!update.changed) continue;
      changedFiles++;
      for (const i of update.ignored) {
        this.#log.debug("ignoring object of a kind the gateway does not read", { ...i });
      }
    }
    return changedFiles;
  }

  /** Makes the store hold what the catalog declares, and reports the problems. */
  #applyToStore(changedFiles: number): void {
    const merged = this.#catalog.merge();
    let changedKinds = 0;
    for (const kind of RESOURCE_KINDS) {
      if (this.store.replaceKind(kind, merged.objects[kind])) changedKinds++;
    }
    this.#problems.publish(merged.problems);
    this.#lastSyncTime = new Date().toISOString();
    if (!this.#synced || changedKinds > 0) {
      const objects = RESOURCE_KINDS.reduce((n, k) => n + merged.objects[k].length, 0);
      this.#log.info("manifests loaded", {
        files: merged.files,
        changedFiles,
        objects,
        problems: merged.problems.length,
      });
    }
    this.#synced = true;
  }

  #dirMissing(error: string): void {
    // Nothing already accepted is lost: a missing directory keeps serving
    // what it last declared until it is back.
    this.#dirError = `Cannot read manifests directory: ${error}`;
    this.#problems.publish([
      { object: `file:${this.#dir}`, message: `${this.#dirError}; serving the last good objects` },
      ...this.#catalog.merge().problems,
    ]);
    this.#watcher.rearm();
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
