/**
 * Watching the manifests directory for the files source: one recursive
 * watcher at a time, re-created whenever it goes away (the directory removed
 * or replaced, the stream failed), with the paths its events named kept for
 * the next read. While the directory is missing its parent is watched
 * instead, so a directory made later is watched at once; only when the parent
 * cannot be watched either (missing too, say) is the path looked at again
 * every `retryMs`. Reading and parsing the files is the source's part
 * (`files.ts`); this module only says that something changed, and what.
 *
 * @example
 * ```ts
 * import { ManifestDirWatcher } from "./files_watcher.ts";
 * import { createLogger } from "../log/logger.ts";
 * import { systemClock } from "../time/clock.ts";
 * const watcher = new ManifestDirWatcher({
 *   dir: "examples",
 *   logger: createLogger(),
 *   clock: systemClock,
 *   retryMs: 1_000,
 *   watch: (dir) => Deno.watchFs(dir, { recursive: true }),
 *   watchParent: (dir) => Deno.watchFs(dir, { recursive: false }),
 *   onChange: () => console.log("changed:", watcher.takeChanged()),
 *   onLost: () => console.log("the directory could not be watched"),
 * });
 * watcher.start();
 * await watcher.stop();
 * ```
 * @module
 */
import type { Logger } from "../log/logger.ts";
import type { Clock } from "../time/clock.ts";
import { ChangedPaths } from "./files_events.ts";
import { basename, dirname, join, resolve } from "node:path";

/** Options of {@linkcode ManifestDirWatcher}. */
export interface ManifestDirWatcherOptions {
  /** The manifest directory. */
  dir: string;
  logger: Logger;
  clock: Clock;
  /** How often to look for the directory while neither it nor its parent can be watched. */
  retryMs: number;
  /** Starts a recursive watch of the directory. */
  watch: (dir: string) => Deno.FsWatcher;
  /** Starts a watch of the parent directory alone (not recursive), while the directory is missing. */
  watchParent: (dir: string) => Deno.FsWatcher;
  /** A watch event arrived, or a new watcher started (anything may have changed meanwhile). */
  onChange: () => void;
  /** A watcher could not be set up, or its stream failed. */
  onLost: () => void;
}

/** Keeps one watcher on the directory until stopped. */
export class ManifestDirWatcher {
  readonly #dir: string;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #retryMs: number;
  readonly #watchFs: (dir: string) => Deno.FsWatcher;
  readonly #watchParent: (dir: string) => Deno.FsWatcher;
  readonly #onChange: () => void;
  readonly #onLost: () => void;
  readonly #stopper = new AbortController();
  #stopped = false;
  #loop: Promise<void> | undefined;
  #watcher: Deno.FsWatcher | undefined;
  /** Ends the wait for a missing directory (its parent's watch, or the pause between looks). */
  #waiting: AbortController | undefined;
  #identity: string | undefined;
  /** Paths the current watcher's events named since the last take. */
  #changed: ChangedPaths | undefined;

  constructor(options: ManifestDirWatcherOptions) {
    this.#dir = options.dir;
    this.#log = options.logger;
    this.#clock = options.clock;
    this.#retryMs = options.retryMs;
    this.#watchFs = options.watch;
    this.#watchParent = options.watchParent;
    this.#onChange = options.onChange;
    this.#onLost = options.onLost;
  }

  /** `dev:ino` of the directory the last watcher was set up on, when known. */
  get identity(): string | undefined {
    return this.#identity;
  }

  /** The paths events named since the last call (`"all"`: read the whole tree). */
  takeChanged(): string[] | "all" | undefined {
    return this.#changed?.take();
  }

  /** Starts watching; idempotent. */
  start(): void {
    this.#loop ??= this.#watch();
  }

  /** Closes the current watcher; the loop looks at the directory again and sets up a new one. */
  rearm(): void {
    closeQuietly(this.#watcher);
  }

  /** While the directory is waited for, looks at it now. */
  wake(): void {
    this.#waiting?.abort();
  }

  /** Stops watching and waits for the loop to end. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopper.abort();
    this.#waiting?.abort();
    closeQuietly(this.#watcher);
    await this.#loop;
  }

  /** Watches the directory until stopped, re-creating the watcher when it goes away. */
  async #watch(): Promise<void> {
    while (!this.#stopped) {
      const failed = !(await this.#watchOnce());
      if (this.#stopped) break;
      if (!failed) {
        // Closed because the directory vanished or was replaced: look again.
        await this.#clock.sleep(10, this.#stopper.signal);
        continue;
      }
      this.#onLost();
      await this.#awaitDirectory();
    }
  }

  /**
   * Returns once the directory may be there: when an event of its parent
   * names it, after `retryMs` when the parent cannot be watched, or when woken.
   */
  async #awaitDirectory(): Promise<void> {
    const waiting = this.#waiting = new AbortController();
    const pause = () => this.#clock.sleep(this.#retryMs, waiting.signal);
    try {
      // A dangling link, a file in the directory's place or an unreadable
      // directory can change without an event in the parent: look again later.
      if (!(await isAbsent(this.#dir))) return await pause();
      const parentWatcher = await this.#watchParentOf(this.#dir);
      if (parentWatcher === undefined) return await pause();
      waiting.signal.addEventListener("abort", () => closeQuietly(parentWatcher));
      if (waiting.signal.aborted) parentWatcher.close();
      try {
        await this.#untilNamed(parentWatcher);
      } finally {
        closeQuietly(parentWatcher);
      }
    } catch (err) {
      // The parent's watch failed: look again later.
      if (!this.#stopped) {
        this.#log.debug("manifest directory parent watch stopped", { error: err });
      }
      await pause();
    } finally {
      this.#waiting = undefined;
    }
  }

  /**
   * A watch of the directory's parent; `undefined` when the parent is not a
   * directory now (missing too, say). `Deno.watchFs` (2.9) resolves the path
   * it is given before inotify watches it, and a path missing at that moment
   * is watched yet none of its events reach the watch: a parent made during the
   * call would hide a directory made in it until a read finds it (`wake`).
   * So a watch is opened only on a parent that is there, and kept only if
   * the same parent is still there once it is open.
   */
  async #watchParentOf(dir: string): Promise<Deno.FsWatcher | undefined> {
    const parent = dirname(resolve(dir));
    const before = await directoryIdentity(parent);
    if (before === undefined) return undefined;
    let watcher: Deno.FsWatcher;
    try {
      watcher = this.#watchParent(parent);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) {
        this.#log.debug("manifest directory parent not watched", { error: err });
      }
      return undefined;
    }
    if (await directoryIdentity(parent) !== before) {
      // Replaced while the watch was opened: it may be one that hears nothing.
      closeQuietly(watcher);
      return undefined;
    }
    return watcher;
  }

  /** Returns at the parent's first event that may have made the directory, or when the watch ends. */
  async #untilNamed(parentWatcher: Deno.FsWatcher): Promise<void> {
    const dir = resolve(this.#dir);
    const parent = dirname(dir);
    // Made between the look that failed and this watch: no event will tell.
    if (!(await isAbsent(dir))) return;
    const names = [dir, join(await Deno.realPath(parent), basename(dir))];
    for await (const event of parentWatcher) {
      // Its own name, an event that names nothing (events were lost), or
      // the parent itself gone: look again.
      if (event.paths.length === 0 || event.paths.some((p) => names.includes(p))) return;
      if (event.kind === "remove" && event.paths.includes(parent)) return;
    }
  }

  /** One watcher's life; `false` when it could not be made or failed. */
  async #watchOnce(): Promise<boolean> {
    let fresh: Deno.FsWatcher | undefined;
    try {
      const info = await Deno.stat(this.#dir);
      if (!info.isDirectory) throw new Error("not a directory");
      fresh = this.#watchFs(this.#dir);
      if (this.#stopped) {
        fresh.close();
        return true;
      }
      this.#watcher = fresh;
      this.#identity = info.ino === null ? undefined : `${info.dev}:${info.ino}`;
      const dirPaths = [resolve(this.#dir), await Deno.realPath(this.#dir)];
      const changed = this.#changed = new ChangedPaths(this.#dir, dirPaths);
      // Changes made while no watcher existed are only seen by reading again
      // (files that did not change are not parsed, so this is cheap); through
      // the holdoff, so events arriving meanwhile share that one read.
      changed.noteAll();
      this.#onChange();
      for await (const event of fresh) {
        changed.note(event);
        this.#onChange();
        // The directory itself is gone: this watcher sees nothing of one made
        // again at its path, which often gets the same inode number, so no
        // read could tell it was replaced. Watch again.
        if (event.kind === "remove" && event.paths.some((p) => dirPaths.includes(p))) break;
      }
      return true;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound) && !this.#stopped) {
        this.#log.debug("manifest watcher stopped", { error: err });
      }
      return false;
    } finally {
      this.#watcher = undefined;
      // However this watch ended (the directory vanished while it was set
      // up, the stream failed), it is closed before the next one starts: a
      // watcher left open on a removed directory keeps Deno from delivering
      // any event to a later watcher of the same path, so edits in the
      // re-created directory would wait for the periodic re-read.
      closeQuietly(fresh);
    }
  }
}

/** `dev:ino` of the directory at `path`; `undefined` when no directory is there. */
async function directoryIdentity(path: string): Promise<string | undefined> {
  const info = await Deno.stat(path).catch(() => undefined);
  return info?.isDirectory ? `${info.dev}:${info.ino}` : undefined;
}

/** Whether nothing at all is at `path` (not even a dangling link); `false` when that cannot be told. */
async function isAbsent(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => false, (err) => err instanceof Deno.errors.NotFound);
}

function closeQuietly(watcher: Deno.FsWatcher | undefined): void {
  try {
    watcher?.close();
  } catch {
    // Already closed.
  }
}
