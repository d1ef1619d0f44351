/**
 * A V8 heap snapshot (`.heapsnapshot`, as `bench/_inspector.ts` writes it)
 * read the way DevTools reads it: the dominator tree over strong edges, and
 * each object's retained size (what would be freed with it). Prints the
 * gateway's layers (the store, the translate memo, the served result, the
 * status writer...) by the retained size of their class instances, with the
 * fields that hold the most, plus the heap by node type. Test equipment only.
 *
 * ```sh
 * deno run --allow-read bench/_heap_layers.ts FILE.heapsnapshot [Class...]
 * ```
 * @module
 */
// deno-lint-ignore-file no-console

/** A parsed snapshot with retained sizes. */
export interface HeapGraph {
  count: number;
  names: string[];
  types: string[];
  edgeTypes: string[];
  nodeType: Uint8Array;
  nodeName: Uint32Array;
  /** The object's id, the same in every snapshot of one process. */
  nodeId: Uint32Array;
  selfSize: Float64Array;
  retained: Float64Array;
  idom: Int32Array;
  firstEdge: Uint32Array;
  edgeType: Uint8Array;
  edgeName: Uint32Array;
  edgeTo: Uint32Array;
}

/** Reads a snapshot file and computes the dominator tree and retained sizes. */
export function readHeapGraph(path: string): HeapGraph {
  const raw = JSON.parse(Deno.readTextFileSync(path));
  const meta = raw.snapshot.meta;
  const nf = meta.node_fields.length as number;
  const ef = meta.edge_fields.length as number;
  const [nType, nName, nId, nSize, nEdges] = ["type", "name", "id", "self_size", "edge_count"]
    .map((f) => meta.node_fields.indexOf(f));
  const [eType, eName, eTo] = ["type", "name_or_index", "to_node"]
    .map((f) => meta.edge_fields.indexOf(f));
  const nodes: number[] = raw.nodes;
  const edges: number[] = raw.edges;
  const count = nodes.length / nf;
  const g: HeapGraph = {
    count,
    names: raw.strings,
    types: meta.node_types[0],
    edgeTypes: meta.edge_types[0],
    nodeType: new Uint8Array(count),
    nodeName: new Uint32Array(count),
    nodeId: new Uint32Array(count),
    selfSize: new Float64Array(count),
    retained: new Float64Array(count),
    idom: new Int32Array(count).fill(-1),
    firstEdge: new Uint32Array(count + 1),
    edgeType: new Uint8Array(edges.length / ef),
    edgeName: new Uint32Array(edges.length / ef),
    edgeTo: new Uint32Array(edges.length / ef),
  };
  for (let i = 0, e = 0; i < count; i++) {
    g.nodeType[i] = nodes[i * nf + nType];
    g.nodeName[i] = nodes[i * nf + nName];
    g.nodeId[i] = nodes[i * nf + nId];
    g.selfSize[i] = nodes[i * nf + nSize];
    g.firstEdge[i] = e;
    e += nodes[i * nf + nEdges];
    g.firstEdge[i + 1] = e;
  }
  for (let j = 0; j < g.edgeTo.length; j++) {
    g.edgeType[j] = edges[j * ef + eType];
    g.edgeName[j] = edges[j * ef + eName];
    g.edgeTo[j] = edges[j * ef + eTo] / nf;
  }
  dominators(g);
  return g;
}

/** Cooper, Harvey and Kennedy's iterative dominators over the strong edges, from node 0. */
function dominators(g: HeapGraph): void {
  const weak = g.edgeTypes.indexOf("weak");
  const strong = (j: number) => g.edgeType[j] !== weak;
  const order = new Int32Array(g.count).fill(-1); // postorder number
  const post: number[] = [];
  const stack: number[] = [0];
  const next = new Uint32Array(g.count);
  const seen = new Uint8Array(g.count);
  seen[0] = 1;
  for (let i = 0; i < g.count; i++) next[i] = g.firstEdge[i];
  while (stack.length > 0) {
    const v = stack[stack.length - 1];
    if (next[v] < g.firstEdge[v + 1]) {
      const j = next[v]++;
      const w = g.edgeTo[j];
      if (strong(j) && !seen[w]) {
        seen[w] = 1;
        stack.push(w);
      }
    } else {
      stack.pop();
      order[v] = post.length;
      post.push(v);
    }
  }
  const preds: number[][] = Array.from({ length: g.count }, () => []);
  for (let v = 0; v < g.count; v++) {
    if (order[v] < 0) continue;
    for (let j = g.firstEdge[v]; j < g.firstEdge[v + 1]; j++) {
      if (strong(j)) preds[g.edgeTo[j]].push(v);
    }
  }
  const idom = g.idom;
  idom[0] = 0;
  const intersect = (a: number, b: number) => {
    while (a !== b) {
      while (order[a] < order[b]) a = idom[a];
      while (order[b] < order[a]) b = idom[b];
    }
    return a;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (let k = post.length - 2; k >= 0; k--) {
      const v = post[k];
      let d = -1;
      for (const p of preds[v]) {
        if (idom[p] < 0) continue;
        d = d < 0 ? p : intersect(p, d);
      }
      if (d >= 0 && idom[v] !== d) {
        idom[v] = d;
        changed = true;
      }
    }
  }
  for (const v of post) g.retained[v] += g.selfSize[v];
  for (const v of post) if (v !== 0) g.retained[idom[v]] += g.retained[v];
}

const MiB = (n: number) => (n / 1048576).toFixed(2);

/** Instances whose name (an object's constructor) is `name`. */
export function instancesOf(g: HeapGraph, name: string): number[] {
  const found: number[] = [];
  const object = g.types.indexOf("object");
  for (let i = 0; i < g.count; i++) {
    if (g.nodeType[i] === object && g.names[g.nodeName[i]] === name && g.idom[i] >= 0) {
      found.push(i);
    }
  }
  return found;
}

/** The strong edges of `v` whose targets it dominates, by retained size. */
export function heaviestFields(g: HeapGraph, v: number, top = 8): [string, number][] {
  const fields: [string, number][] = [];
  for (let j = g.firstEdge[v]; j < g.firstEdge[v + 1]; j++) {
    const w = g.edgeTo[j];
    if (g.idom[w] !== v) continue;
    const type = g.edgeTypes[g.edgeType[j]];
    const name = type === "element" || type === "hidden"
      ? `[${g.edgeName[j]}]`
      : g.names[g.edgeName[j]];
    fields.push([`${name}: ${g.names[g.nodeName[w]].slice(0, 40)}`, g.retained[w]]);
  }
  return fields.sort((a, b) => b[1] - a[1]).slice(0, top);
}

/** The gateway's layers by default. */
export const LAYER_CLASSES: readonly string[] = [
  "ObjectStore",
  "KindObjects",
  "TranslateMemo",
  "TableReconciler",
  "QueuedStatusWriter",
  "LayeredRuleMap",
  "RouteTableCompiler",
];

/** Prints the heap by node type and the layers' retained sizes. */
export function printLayers(path: string, classes: readonly string[] = LAYER_CLASSES): void {
  const g = readHeapGraph(path);
  const byType = new Map<string, number>();
  for (let i = 0; i < g.count; i++) {
    if (g.idom[i] < 0) continue;
    const t = g.types[g.nodeType[i]];
    byType.set(t, (byType.get(t) ?? 0) + g.selfSize[i]);
  }
  console.log(
    `  heap ${MiB(g.retained[0])} MiB reachable; by node type (MiB): ` +
      [...byType].sort((a, b) => b[1] - a[1]).map(([t, n]) => `${t} ${MiB(n)}`).join(", "),
  );
  for (const name of classes) {
    const found = instancesOf(g, name);
    if (found.length === 0) continue;
    const total = found.reduce((s, v) => s + g.retained[v], 0);
    console.log(`  ${name} ×${found.length}: retains ${MiB(total)} MiB`);
    const biggest = found.sort((a, b) => g.retained[b] - g.retained[a])[0];
    for (const [field, size] of heaviestFields(g, biggest)) {
      console.log(`      ${field.padEnd(56)} ${MiB(size)}`);
    }
  }
}

if (import.meta.main) {
  const [file, ...classes] = Deno.args;
  printLayers(file, classes.length > 0 ? classes : LAYER_CLASSES);
}

/** Prints the dominator tree from node `v`, children retaining at least `minBytes`. */
export function printDominatorTree(g: HeapGraph, v = 0, depth = 8, minBytes = 512 * 1024): void {
  const children = new Map<number, number[]>();
  for (let i = 1; i < g.count; i++) {
    const d = g.idom[i];
    if (d < 0 || g.retained[i] < minBytes) continue;
    (children.get(d) ?? children.set(d, []).get(d)!).push(i);
  }
  const walk = (n: number, level: number, via: string) => {
    const label = `${g.types[g.nodeType[n]]} ${g.names[g.nodeName[n]].slice(0, 50)}`;
    console.log(`${"  ".repeat(level)}${MiB(g.retained[n])} ${via}${label} @${n}`);
    if (level >= depth) return;
    const kids = (children.get(n) ?? []).sort((a, b) => g.retained[b] - g.retained[a]);
    for (const k of kids) walk(k, level + 1, `${edgeName(g, n, k)} → `);
  };
  walk(v, 0, "");
}

function edgeName(g: HeapGraph, from: number, to: number): string {
  for (let j = g.firstEdge[from]; j < g.firstEdge[from + 1]; j++) {
    if (g.edgeTo[j] !== to) continue;
    const type = g.edgeTypes[g.edgeType[j]];
    return type === "element" || type === "hidden" ? `[${g.edgeName[j]}]` : g.names[g.edgeName[j]];
  }
  return "?";
}

/** Nodes reachable from `roots` over strong edges, not entering `stop` (marked 1). */
export function reach(g: HeapGraph, roots: number[], stop: Uint8Array): Uint8Array {
  const weak = g.edgeTypes.indexOf("weak");
  const seen = new Uint8Array(g.count);
  const stack = roots.filter((r) => !stop[r]);
  for (const r of stack) seen[r] = 1;
  while (stack.length > 0) {
    const v = stack.pop()!;
    for (let j = g.firstEdge[v]; j < g.firstEdge[v + 1]; j++) {
      const w = g.edgeTo[j];
      if (g.edgeType[j] === weak || seen[w] || stop[w]) continue;
      seen[w] = 1;
      stack.push(w);
    }
  }
  return seen;
}

/** Self sizes of the marked nodes by type and name, largest first. */
export function histogram(g: HeapGraph, marked: Uint8Array, top = 25): [string, number, number][] {
  const by = new Map<string, [number, number]>();
  for (let i = 0; i < g.count; i++) {
    if (!marked[i]) continue;
    const key = `${g.types[g.nodeType[i]]} ${g.names[g.nodeName[i]].slice(0, 40)}`;
    const e = by.get(key) ?? [0, 0];
    e[0] += g.selfSize[i];
    e[1] += 1;
    by.set(key, e);
  }
  return [...by].map(([k, [size, n]]): [string, number, number] => [k, size, n])
    .sort((a, b) => b[1] - a[1]).slice(0, top);
}

/** The target of `node`'s edge named `name`, if any. */
export function edgeTarget(g: HeapGraph, node: number, name: string): number | undefined {
  for (let j = g.firstEdge[node]; j < g.firstEdge[node + 1]; j++) {
    if (g.names[g.edgeName[j]] === name) return g.edgeTo[j];
  }
  return undefined;
}
