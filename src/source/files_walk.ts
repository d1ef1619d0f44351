/**
 * Lists the manifest files under a directory, recursively and in a stable
 * order. Hidden entries (`.git`, editor swap files, and the `..data` and
 * `..<timestamp>` entries of a Kubernetes ConfigMap mount) and editor backups
 * are skipped; symbolic links are followed, which is how a ConfigMap mount
 * presents its files, with a guard against link cycles. Then reads their
 * texts, a file removed since the listing counting as deleted.
 *
 * @example
 * ```ts
 * import { listManifestFiles } from "./files_walk.ts";
 * const listing = await listManifestFiles("examples");
 * listing.files; // ["examples/gateway.yaml", "examples/routes/web.yaml", ...]
 * ```
 * @module
 */
import { errorMessage } from "../log/error_message.ts";
import { comparePaths } from "./files_catalog.ts";

/** The result of {@linkcode listManifestFiles}. */
export interface ManifestListing {
  /** Whether the directory itself could be read. */
  ok: boolean;
  /** Why not, when `ok` is false. */
  error?: string;
  /** Manifest file paths (`dir` joined with the relative path), sorted. */
  files: string[];
  /** Identity of the directory (device and inode), to notice it being replaced. */
  identity?: string;
}

const EXTENSIONS = [".yaml", ".yml", ".json"];
// Past this depth a tree is almost surely a link loop the inode guard missed.
const MAX_DEPTH = 32;

/** Whether a directory entry name is skipped: hidden, backup or lock files. */
export function isSkippedName(name: string): boolean {
  return name.startsWith(".") || name.startsWith("#") || name.endsWith("~");
}

/** Whether a file name has a manifest extension. */
export function isManifestName(name: string): boolean {
  const lower = name.toLowerCase();
  return EXTENSIONS.some((ext) => lower.endsWith(ext));
}

function identityOf(info: Deno.FileInfo): string | undefined {
  return info.ino === null ? undefined : `${info.dev}:${info.ino}`;
}

function joinPath(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

/** Lists manifest files under `dir`. Never throws: an unreadable root is `ok: false`. */
export async function listManifestFiles(dir: string): Promise<ManifestListing> {
  let rootInfo: Deno.FileInfo;
  try {
    rootInfo = await Deno.stat(dir);
  } catch (err) {
    return { ok: false, error: errorMessage(err), files: [] };
  }
  if (!rootInfo.isDirectory) return { ok: false, error: "not a directory", files: [] };
  const files: string[] = [];
  const visited = new Set<string>();
  const rootId = identityOf(rootInfo);
  if (rootId) visited.add(rootId);

  const walk = async (path: string, depth: number): Promise<void> => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(path));
    } catch (err) {
      // A subdirectory removed mid-walk simply has no files any more.
      if (err instanceof Deno.errors.NotFound || path !== dir) return;
      throw err;
    }
    entries.sort((a, b) => comparePaths(a.name, b.name));
    for (const entry of entries) {
      if (isSkippedName(entry.name)) continue;
      const child = joinPath(path, entry.name);
      let isDirectory = entry.isDirectory;
      let isFile = entry.isFile;
      if (entry.isSymlink || entry.isDirectory) {
        try {
          const target = await Deno.stat(child);
          isDirectory = target.isDirectory;
          isFile = target.isFile;
          if (isDirectory) {
            // Every directory is remembered, so a link back into the tree is walked once.
            const id = identityOf(target);
            if (id && visited.has(id)) continue;
            if (id) visited.add(id);
          }
        } catch {
          // A dangling link (a ConfigMap mount between two swaps) or an entry
          // removed since the listing has no content.
          continue;
        }
      }
      if (isDirectory && depth < MAX_DEPTH) await walk(child, depth + 1);
      else if (isFile && isManifestName(entry.name)) files.push(child);
    }
  };

  try {
    await walk(dir, 0);
  } catch (err) {
    return { ok: false, error: errorMessage(err), files: [] };
  }
  // Sorted as whole paths so "a/b.yaml" and "a.yaml" order the same on every machine.
  files.sort(comparePaths);
  return { ok: true, files, identity: rootId };
}

/** Each file's text, or the error reading it; a file removed since the listing is left out. */
export async function readManifestTexts(
  files: readonly string[],
): Promise<Map<string, string | Error>> {
  const texts = new Map<string, string | Error>();
  for (const file of files) {
    try {
      texts.set(file, await Deno.readTextFile(file));
    } catch (err) {
      // Removed between listing and reading: treated as deleted.
      if (!(err instanceof Deno.errors.NotFound)) texts.set(file, new Error(errorMessage(err)));
    }
  }
  return texts;
}
