/**
 * Watching the manifests directory for the files source: one recursive
 * watcher at a time, re-created whenever it goes away (the directory removed
 * or replaced, the stream failed), with the paths its events named kept for
 * the next read. Reading and parsing the files is the source's part
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
import { resolve } from "node:path";

/** Options of {@linkcode ManifestDirWatcher}. */
export interface ManifestDirWatcherOptions {
  /** The manifest directory. */
  dir: string;
  logger: Logger;
  clock: Clock;
  /** How often to look for the directory while it cannot be watched. */
  retryMs: number;
  /** Starts a recursive watch of the directory. */
  watch: (dir: string) => Deno.FsWatcher;
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
  readonly #onChange: () => void;
  readonly #onLost: () => void;
  readonly #stopper = new AbortController();
  #stopped = false;
  #loop: Promise<void> | undefined;
  #watcher: Deno.FsWatcher | undefined;
  #identity: string | undefined;
  /** Paths the current watcher's events named since the last take. */
  #changed: ChangedPaths | undefined;

  constructor(options: ManifestDirWatcherOptions) {
    this.#dir = options.dir;
    this.#log = options.logger;
    this.#clock = options.clock;
    this.#retryMs = options.retryMs;
    this.#watchFs = options.watch;
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

  /** Closes the current watcher; the loop sets up a new one. */
  rearm(): void {
    closeQuietly(this.#watcher);
  }

  /** Stops watching and waits for the loop to end. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopper.abort();
    closeQuietly(this.#watcher);
    await this.#loop;
  }

  /** Watches the directory until stopped, re-creating the watcher when it goes away. */
  async #watch(): Promise<void> {
    while (!this.#stopped) {
      const failed = !(await this.#watchOnce());
      if (this.#stopped) break;
      if (failed) this.#onLost();
      // Closed because the directory vanished or was replaced: look again,
      // at once if it is there, else after a pause.
      await this.#clock.sleep(failed ? this.#retryMs : 10, this.#stopper.signal);
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

function closeQuietly(watcher: Deno.FsWatcher | undefined): void {
  try {
    watcher?.close();
  } catch {
    // Already closed.
  }
}
