/**
 * Which files a burst of watch events asks the files source to read again.
 * A change to one manifest file directly in the watched directory (written,
 * renamed over, removed) is read alone: re-reading thousands of unchanged
 * files per change was nearly all of a change's time at scale. Anything
 * else (the directory itself, a subdirectory, a hidden entry such as a
 * ConfigMap mount's `..data` link, an event that names no path, a path
 * outside the directory) asks for the whole tree, as every read did before.
 *
 * @example
 * ```ts
 * import { ChangedPaths } from "./files_events.ts";
 * const changed = new ChangedPaths("/etc/manifests", ["/etc/manifests"]);
 * changed.note({ kind: "modify", paths: ["/etc/manifests/web.yaml"] });
 * changed.take(); // ["/etc/manifests/web.yaml"]
 * changed.take(); // [] (nothing noted since)
 * ```
 * @module
 */
import { isManifestName, isSkippedName } from "./files_walk.ts";

/** The paths of one watch event, as `Deno.watchFs` reports them. */
export interface PathEvent {
  kind: string;
  paths: string[];
}

/** Paths named by watch events since the last `take`, or "the whole tree". */
export class ChangedPaths {
  readonly #dir: string;
  readonly #prefixes: string[];
  #all = false;
  #names = new Set<string>();

  /**
   * `dir`: the directory as the source names its files (`dir/name`);
   * `eventDirs`: the absolute paths watch events may name it by (its path
   * as given, made absolute: a link's own path; and its real path).
   */
  constructor(dir: string, eventDirs: readonly string[]) {
    this.#dir = dir.endsWith("/") ? dir.slice(0, -1) : dir;
    this.#prefixes = eventDirs.map((d) => d.endsWith("/") ? d : `${d}/`);
  }

  /** Asks for the whole tree at the next read. */
  noteAll(): void {
    this.#all = true;
  }

  /** Records one event's paths. */
  note(event: PathEvent): void {
    if (this.#all) return;
    if (event.paths.length === 0 || event.kind === "other") return this.noteAll();
    for (const path of event.paths) {
      const name = this.#childName(path);
      // Not a plain entry of the directory: only a whole read sees what it did.
      if (name === undefined || isSkippedName(name)) return this.noteAll();
      this.#names.add(name);
    }
  }

  /**
   * The files to read again (`dir/name`, any name: the reader decides what
   * each is now), or `"all"`; then forgets them.
   */
  take(): string[] | "all" {
    const taken = this.#all ? "all" : [...this.#names].map((n) => `${this.#dir}/${n}`);
    this.#all = false;
    this.#names = new Set();
    return taken;
  }

  /** The name of `path` when it is directly inside the directory. */
  #childName(path: string): string | undefined {
    const prefix = this.#prefixes.find((p) => path.startsWith(p));
    if (prefix === undefined) return undefined;
    const name = path.slice(prefix.length);
    return name === "" || name.includes("/") ? undefined : name;
  }
}

/** What one path named by events is now, for a partial read. */
export type PathState =
  | { kind: "manifest"; text: string }
  | { kind: "gone" }
  | { kind: "ignored" }
  | { kind: "other" };

/**
 * Reads `path` as a partial read sees it: a regular manifest file's text;
 * `gone` when nothing is there; `ignored` for a regular file that is no
 * manifest (an editor's or tool's temporary file); `other` (a directory, a
 * link, an unreadable entry) when only a whole read can tell.
 */
export async function readPathState(path: string): Promise<PathState> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (err) {
    return err instanceof Deno.errors.NotFound ? { kind: "gone" } : { kind: "other" };
  }
  if (!info.isFile) return { kind: "other" };
  if (!isManifestName(path.slice(path.lastIndexOf("/") + 1))) return { kind: "ignored" };
  try {
    return { kind: "manifest", text: await Deno.readTextFile(path) };
  } catch {
    return { kind: "other" };
  }
}
