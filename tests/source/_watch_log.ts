/**
 * Test helpers for the files source's watching: a manifest of one HTTPRoute,
 * and a log of the `Deno.watchFs` watchers the source makes (given to it as
 * its watch function), which of them are still open, and hooks that run
 * before and after each is made (to stage races).
 * @module
 */

/** An HTTPRoute `name` in namespace `apps` matching every path, as a manifest file's text. */
export const route = (name: string): string =>
  `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
  namespace: apps
spec:
  rules:
  - matches:
    - path: { type: PathPrefix, value: "/" }
`;

/** Watchers made through {@linkcode WatchLog.watch}, in order, and which are still open. */
export class WatchLog {
  /** The paths watched, one per watcher made. */
  readonly dirs: string[] = [];
  readonly #open = new Set<Deno.FsWatcher>();
  readonly #recursive: boolean;
  /**
   * Runs before each watcher is made (`n`: its number); the path it returns,
   * if any, is watched instead of the one asked for (an idle directory: a
   * watch that reports nothing).
   */
  beforeWatch: (dir: string, n: number) => string | void = () => {};
  /** Runs after each watcher is made (`n`: how many so far), before the source uses it. */
  afterWatch: (n: number) => void = () => {};

  constructor(options: { recursive: boolean }) {
    this.#recursive = options.recursive;
  }

  readonly watch = (dir: string): Deno.FsWatcher => {
    const watched = this.beforeWatch(dir, this.dirs.length + 1) ?? dir;
    const watcher = Deno.watchFs(watched, { recursive: this.#recursive });
    const close = watcher.close.bind(watcher);
    watcher.close = () => {
      this.#open.delete(watcher);
      close();
    };
    this.dirs.push(dir);
    this.#open.add(watcher);
    this.afterWatch(this.dirs.length);
    return watcher;
  };

  /** How many of the watchers made are still open. */
  open(): number {
    return this.#open.size;
  }
}
