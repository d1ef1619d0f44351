/**
 * The import-layer rule of `src/`: imports point down the pipeline only, and
 * no files import each other in a loop. `deno task check` runs this file;
 * `tests/gate.test.ts` runs {@linkcode importViolations} on the tree
 * and on small made-up graphs, so the rule itself is tested.
 *
 * The layers, lowest first. A folder may import its own files and any folder
 * of a lower layer; folders that share a layer (source and translate, say)
 * do not import each other.
 *
 * @example
 * ```ts
 * import { importViolations, readImportGraph } from "./import_layers.ts";
 * const graph = await readImportGraph(new URL("../", import.meta.url));
 * console.log(importViolations(graph));
 * ```
 * @module
 */
// deno-lint-ignore-file no-console
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Layers of `src/`, lowest first; `gateway.ts` and `main.ts` stand on top. */
export const LAYERS: readonly (readonly string[])[] = [
  ["src/log", "src/time"],
  ["src/resources"],
  ["src/model"],
  ["src/kube"],
  ["src/source", "src/translate"],
  ["src/router"],
  ["src/dataplane", "src/status"],
  ["src/admin"],
  ["src/runtime"],
  ["src/cli"],
  ["src"],
  ["."],
];

/** File → the files it imports, as paths from the project root. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

// `import ... from "./x.ts"`, `export ... from "./x.ts"`, a multi-line
// `} from "./x.ts"`, `import "./x.ts"`, `import("./x.ts")` and the worker
// module named by `new URL("./x.ts", import.meta.url)`.
const SPECIFIER =
  /(?:^|\n)\s*(?:import|export|\})[^"\n]*?(?:from\s*)?"(\.{1,2}\/[^"]+)"|import\(\s*"(\.{1,2}\/[^"]+)"\s*\)|new URL\(\s*"(\.{1,2}\/[^"]+\.ts)",\s*import\.meta\.url\)/g;

/** Relative `.ts` specifiers a file imports, in the order written. */
export function importsOf(text: string): string[] {
  // JSDoc examples import too, but they are documentation, not arrows.
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "");
  return [...code.matchAll(SPECIFIER)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** Reads every `.ts` file under `src/` and `main.ts` of the project at `root`. */
export async function readImportGraph(root: URL): Promise<ImportGraph> {
  const base = fileURLToPath(root);
  const files = ["main.ts"];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(join(base, dir))) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".ts")) files.push(path);
    }
  };
  await walk("src");
  const graph = new Map<string, string[]>();
  for (const file of files.sort()) {
    const text = await Deno.readTextFile(join(base, file));
    graph.set(
      file,
      importsOf(text).map((spec) => relative(base, resolve(base, dirname(file), spec))),
    );
  }
  return graph;
}

function layerOf(file: string): { folder: string; rank: number } | undefined {
  const folder = file.includes("/") ? dirname(file) : ".";
  // A nested folder belongs to its top folder under src/.
  const top = folder.split("/").slice(0, 2).join("/");
  const rank = LAYERS.findIndex((layer) => layer.includes(top));
  return rank < 0 ? undefined : { folder: top, rank };
}

/** Every import that runs up or sideways a layer, and every loop of files, in words. */
export function importViolations(graph: ImportGraph): string[] {
  const found: string[] = [];
  for (const [file, targets] of graph) {
    const from = layerOf(file);
    if (!from) {
      found.push(`${file}: its folder has no layer; add it to LAYERS in scripts/import_layers.ts`);
      continue;
    }
    for (const target of targets) {
      // Data files (deno.json for the version) are no layer.
      const to = target.endsWith(".ts") ? layerOf(target) : undefined;
      if (!to || to.folder === from.folder) continue;
      if (to.rank > from.rank) found.push(`${file} imports ${target}, which is a layer above`);
      if (to.rank === from.rank) found.push(`${file} imports ${target}, a sibling layer`);
    }
  }
  for (const cycle of cyclesOf(graph)) found.push(`import cycle: ${cycle.join(" -> ")}`);
  return found;
}

/** Loops of imports, each once, starting at its smallest file name. */
function cyclesOf(graph: ImportGraph): string[][] {
  const cycles = new Map<string, string[]>();
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === "open") {
        const loop = stack.slice(stack.indexOf(next));
        const start = loop.indexOf([...loop].sort()[0]);
        const canonical = [...loop.slice(start), ...loop.slice(0, start)];
        cycles.set(canonical.join(" "), [...canonical, canonical[0]]);
      } else if (!state.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return [...cycles.values()];
}

if (import.meta.main) {
  const violations = importViolations(await readImportGraph(new URL("../", import.meta.url)));
  for (const line of violations) console.error(line);
  if (violations.length > 0) {
    console.error(
      `${violations.length} import(s) break the layer order (see scripts/import_layers.ts)`,
    );
    Deno.exit(1);
  }
}
