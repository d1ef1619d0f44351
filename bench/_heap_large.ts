/**
 * The large objects of a V8 heap snapshot: every node whose own size is over
 * V8's regular object size limit (such objects live in the large-object
 * space, one page each, and a Map or array that grows past the limit is
 * copied whole into a new one), with the shortest path of strong edges
 * from the snapshot's root that keeps it alive. Test equipment only.
 *
 * ```sh
 * deno run --allow-read bench/_heap_large.ts FILE.heapsnapshot [MIN_KIB]
 * ```
 * @module
 */
// deno-lint-ignore-file no-console
import { type HeapGraph, readHeapGraph } from "./_heap_layers.ts";

/** V8's regular object size limit on 64-bit builds (`kMaxRegularHeapObjectSize`), bytes. */
export const REGULAR_OBJECT_LIMIT = 128 * 1024;

/** One large object and what keeps it alive. */
export interface LargeObject {
  node: number;
  label: string;
  selfSize: number;
  /** Edges from the root, outermost first: `"field → type name"`. */
  path: string[];
}

/** Breadth-first parents over strong edges from node 0 (shortest retainer paths). */
function parents(g: HeapGraph): { from: Int32Array; via: Int32Array } {
  const weak = g.edgeTypes.indexOf("weak");
  const from = new Int32Array(g.count).fill(-1);
  const via = new Int32Array(g.count).fill(-1);
  from[0] = 0;
  let frontier = [0];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const v of frontier) {
      for (let j = g.firstEdge[v]; j < g.firstEdge[v + 1]; j++) {
        const w = g.edgeTo[j];
        if (g.edgeType[j] === weak || from[w] >= 0) continue;
        from[w] = v;
        via[w] = j;
        next.push(w);
      }
    }
    frontier = next;
  }
  return { from, via };
}

function label(g: HeapGraph, v: number): string {
  return `${g.types[g.nodeType[v]]} ${g.names[g.nodeName[v]].slice(0, 60).replace(/\n/g, " ")}`;
}

function edgeLabel(g: HeapGraph, j: number): string {
  const type = g.edgeTypes[g.edgeType[j]];
  return type === "element" || type === "hidden" ? `[${g.edgeName[j]}]` : g.names[g.edgeName[j]];
}

/** Objects of at least `minBytes` of their own, largest first, each with its retainer path. */
export function largeObjects(g: HeapGraph, minBytes = REGULAR_OBJECT_LIMIT): LargeObject[] {
  const { from, via } = parents(g);
  const found: LargeObject[] = [];
  for (let v = 0; v < g.count; v++) {
    if (g.selfSize[v] < minBytes || from[v] < 0) continue;
    const path: string[] = [];
    for (let n = v; n !== 0 && path.length < 40; n = from[n]) {
      path.unshift(`${edgeLabel(g, via[n])} → ${label(g, n)}`);
    }
    found.push({ node: v, label: label(g, v), selfSize: g.selfSize[v], path });
  }
  return found.sort((a, b) => b.selfSize - a.selfSize);
}

/** Prints the large objects of a snapshot file, each with the last steps of its retainer path. */
export function printLargeObjects(file: string, minBytes = REGULAR_OBJECT_LIMIT): void {
  const g = readHeapGraph(file);
  const found = largeObjects(g, minBytes);
  const total = found.reduce((s, o) => s + o.selfSize, 0);
  console.log(
    `  large objects: ${found.length}, ${(total / 1048576).toFixed(2)} MiB of their own:`,
  );
  for (const o of found) {
    const path = o.path.slice(-3).join(" ");
    console.log(`    ${(o.selfSize / 1024).toFixed(0).padStart(5)} KiB ${o.label}: ${path}`);
  }
}

if (import.meta.main) {
  const [file, minKiB] = Deno.args;
  printLargeObjects(file, minKiB ? Number(minKiB) * 1024 : REGULAR_OBJECT_LIMIT);
}
