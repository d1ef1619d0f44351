/**
 * What the manifest directory currently declares, file by file, with the
 * "nothing already accepted is lost" rule: when a file that loaded before
 * stops parsing, or one of its objects stops validating, the last good
 * version of those objects keeps being served (and the problem reported)
 * until the file is fixed or the object leaves the file. A deleted file takes
 * its objects with it. No I/O: the files source feeds it file contents.
 *
 * @example
 * ```ts
 * import { createManifestCatalog } from "./files_catalog.ts";
 * const catalog = createManifestCatalog();
 * catalog.update("a.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: { name: apps }\n");
 * catalog.merge().objects.Namespace.length; // 1
 * ```
 * @module
 */
import { type ManifestDocument, parseManifests } from "../resources/manifests.ts";
import { type GatewayResource, RESOURCE_KINDS, type ResourceKind } from "../resources/types.ts";
import {
  isNamespacedKind,
  isResourceKind,
  validateResource,
  type ValidationError,
} from "../resources/validate.ts";
import type { Problem } from "../model/config.ts";

/** An object of a kind the gateway does not read, for a debug log line. */
export interface IgnoredDocument {
  file: string;
  path: string;
  kind: string;
  apiVersion: string;
}

/** The outcome of {@linkcode ManifestCatalog.update}. */
export interface FileUpdate {
  /** False when the text was the same as last time (nothing was parsed). */
  changed: boolean;
  ignored: IgnoredDocument[];
}

/** Everything the catalog serves, merged over files. */
export interface CatalogContents {
  objects: Record<ResourceKind, GatewayResource[]>;
  /** Parse, validation and duplicate problems, by file path then position. */
  problems: Problem[];
  files: number;
}

/** Per-file manifest state. */
export interface ManifestCatalog {
  /** Reads a file's new text; unchanged text is a no-op. */
  update(file: string, text: string): FileUpdate;
  /** Records that a file could not be read; its last good objects stay. */
  readFailed(file: string, message: string): void;
  /** Forgets a deleted file and its objects. */
  remove(file: string): boolean;
  /** Files currently known. */
  files(): string[];
  /** Merges all files: the first file in sorted path order wins a duplicate. */
  merge(): CatalogContents;
}

interface Served {
  key: string;
  /** `doc[2]` or `doc[2].items[0]`. */
  path: string;
  line: number;
  object: GatewayResource;
}

interface FileState {
  text?: string;
  served: Served[];
  problems: Problem[];
}

function keyOf(kind: string, namespace: string | undefined, name: string): string {
  return namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`;
}

function describeKey(key: string): string {
  const [kind, ...rest] = key.split("/");
  return `${kind} ${JSON.stringify(rest.join("/"))}`;
}

/** The identity a possibly invalid document claims, if it can be read. */
function claimedKey(raw: unknown): string | undefined {
  if (raw === null || typeof raw !== "object") return undefined;
  const { kind, metadata } = raw as Record<string, unknown>;
  if (typeof kind !== "string" || !isResourceKind(kind)) return undefined;
  if (metadata === null || typeof metadata !== "object") return undefined;
  const { name, namespace } = metadata as Record<string, unknown>;
  if (typeof name !== "string" || name === "") return undefined;
  const ns = isNamespacedKind(kind)
    ? (typeof namespace === "string" ? namespace : "default")
    : undefined;
  return keyOf(kind, ns, name);
}

/** Creates an empty catalog. */
export function createManifestCatalog(): ManifestCatalog {
  return new FileCatalog();
}

/** The catalog: each file's text, served objects and problems, by path. */
class FileCatalog implements ManifestCatalog {
  readonly #byFile = new Map<string, FileState>();

  update(file: string, text: string): FileUpdate {
    const previous = this.#byFile.get(file);
    if (previous?.text === text) return { changed: false, ignored: [] };
    const { documents, errors } = parseManifests(text, file);
    const keep = previous !== undefined && previous.served.length > 0 && errors.length > 0;
    const problems: Problem[] = errors.map((e) => ({
      object: `file:${file}`,
      field: `doc[${e.index}]`,
      message: `Cannot parse YAML at line ${e.line}, column ${e.column}: ${e.message}${
        keep ? "; serving the last good version of this file" : ""
      }`,
    }));
    if (keep) {
      this.#byFile.set(file, { text, served: previous.served, problems });
      return { changed: true, ignored: [] };
    }
    const loaded = loadDocuments(file, documents, previous?.served ?? [], problems);
    this.#byFile.set(file, { text, served: loaded.served, problems });
    return { changed: true, ignored: loaded.ignored };
  }

  readFailed(file: string, message: string): void {
    const previous = this.#byFile.get(file);
    this.#byFile.set(file, {
      // Forget the text so the next successful read is parsed again.
      text: undefined,
      served: previous?.served ?? [],
      problems: [{
        object: `file:${file}`,
        message: `Cannot read manifest file: ${message}${
          previous?.served.length ? "; serving the last good version of this file" : ""
        }`,
      }],
    });
  }

  remove(file: string): boolean {
    return this.#byFile.delete(file);
  }

  files(): string[] {
    return [...this.#byFile.keys()].sort(comparePaths);
  }

  merge(): CatalogContents {
    const objects = Object.fromEntries(RESOURCE_KINDS.map((k) => [k, []])) as unknown as Record<
      ResourceKind,
      GatewayResource[]
    >;
    const problems: Problem[] = [];
    const owner = new Map<string, string>();
    for (const file of this.files()) {
      const state = this.#byFile.get(file)!;
      problems.push(...state.problems);
      for (const s of state.served) {
        const first = owner.get(s.key);
        if (first !== undefined) {
          problems.push({
            object: `file:${file}`,
            field: s.path,
            message: `Cannot load ${
              describeKey(s.key)
            } (line ${s.line}): already declared in ${first}, which comes first in path order`,
          });
          continue;
        }
        owner.set(s.key, file);
        objects[s.object.kind].push(s.object);
      }
    }
    return { objects, problems, files: this.#byFile.size };
  }
}

/**
 * Validates a file's documents: valid objects are served (the first of a
 * duplicate wins), an invalid one keeps its last good version from
 * `previous`, and each mistake goes to `problems`.
 */
function loadDocuments(
  file: string,
  documents: readonly ManifestDocument[],
  previous: readonly Served[],
  problems: Problem[],
): { served: Served[]; ignored: IgnoredDocument[] } {
  const object = `file:${file}`;
  const ignored: IgnoredDocument[] = [];
  const served: Served[] = [];
  const seen = new Map<string, string>();
  const last = new LastGood(previous);
  for (const doc of documents) {
    const result = validateResource(doc.value);
    if (result.ok) {
      const value = result.value;
      if (isNamespacedKind(value.kind)) value.metadata.namespace ??= "default";
      const key = keyOf(value.kind, value.metadata.namespace, value.metadata.name);
      const first = seen.get(key);
      if (first !== undefined) {
        problems.push({
          object,
          field: doc.path,
          message: `Cannot load ${
            describeKey(key)
          } (line ${doc.line}): already declared at ${first} of this file`,
        });
        continue;
      }
      seen.set(key, doc.path);
      served.push({ key, path: doc.path, line: doc.line, object: value });
    } else if (result.ignored) {
      ignored.push({ file, path: doc.path, kind: result.kind, apiVersion: result.apiVersion });
    } else {
      const kept = last.keep(doc, result, seen, problems, object);
      if (kept !== undefined) {
        seen.set(kept.key, doc.path);
        served.push(kept);
      }
    }
  }
  return { served, ignored };
}

/** The objects a file served before, to fall back on when a document stops validating. */
class LastGood {
  readonly #byKey: Map<string, Served>;
  readonly #byPath: Map<string, Served>;

  constructor(previous: readonly Served[]) {
    this.#byKey = new Map(previous.map((s) => [s.key, s]));
    this.#byPath = new Map(previous.map((s) => [s.path, s]));
  }

  /**
   * Adds an invalid document's problems and returns what it used to be, matched by
   * the identity it still claims, or by its position when even that is
   * unreadable; `undefined` when there is nothing to keep.
   */
  keep(
    doc: ManifestDocument,
    result: { errors: readonly ValidationError[]; kind?: string },
    seen: ReadonlyMap<string, string>,
    problems: Problem[],
    object: string,
  ): Served | undefined {
    const claimed = claimedKey(doc.value);
    const last = claimed !== undefined ? this.#byKey.get(claimed) : this.#byPath.get(doc.path);
    const kept = last !== undefined && !seen.has(last.key);
    const what = claimed !== undefined
      ? describeKey(claimed)
      : result.kind !== undefined
      ? `a ${result.kind}`
      : "an object";
    for (const err of result.errors) {
      problems.push({
        object,
        field: err.field ? `${doc.path}.${err.field}` : doc.path,
        message: `Cannot load ${what} (line ${doc.line}): ${err.message}${
          kept ? "; serving the last good version" : ""
        }`,
      });
    }
    return kept ? { ...last, path: doc.path, line: doc.line } : undefined;
  }
}

/** Plain code-unit order: deterministic whatever the locale. */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
