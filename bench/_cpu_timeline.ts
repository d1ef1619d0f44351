/**
 * Reads a V8 `.cpuprofile` (from `deno run --cpu-prof`, e.g. `bench/startup.ts
 * --cpu-prof DIR`) along time and down the call tree, where
 * `bench/_cpu_profile.ts` sums self time over the whole run:
 *
 * - `--timeline MS` (default 25): for each slice of MS ms of the profile, the
 *   four largest shares, each sample named by the outermost and innermost
 *   module of ours on its stack (`runtime/run_gateway > translate/route_rules`),
 *   else by its V8 category (`(garbage collector)`, `(idle)`) or its file. A
 *   start-up reads as phases: modules loading, waiting for the API server,
 *   parsing and validating the lists, translate, compile, the first request.
 * - `--tree NAME [--in FILE_PART] [--min MS] [--depth N]`: the call tree under
 *   every function named NAME (in a file whose path holds FILE_PART), each
 *   node with its inclusive and self ms, children largest first. Collections
 *   are their own root in a V8 profile, so they are not in any function's time.
 *
 * ```sh
 * deno run --allow-read bench/_cpu_timeline.ts CPU.cpuprofile --timeline 25
 * deno run --allow-read bench/_cpu_timeline.ts CPU.cpuprofile --tree translate --in translate/translate.ts
 * ```
 * @module
 */
// deno-lint-ignore-file no-console
import { maybeFlag } from "./_flags.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** A V8 CPU profile, the fields read here. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  /** µs since the sample before; sample i lasts until sample i + 1. */
  timeDeltas: number[];
}

/** The profile's nodes by id, each one's parent, and each sample's duration in ms. */
class Indexed {
  readonly byId = new Map<number, ProfileNode>();
  readonly parent = new Map<number, number>();
  readonly selfMs = new Map<number, number>();
  readonly #inclusive = new Map<number, number>();

  constructor(readonly profile: CpuProfile) {
    for (const node of profile.nodes) {
      this.byId.set(node.id, node);
      for (const child of node.children ?? []) this.parent.set(child, node.id);
    }
    const { samples, timeDeltas } = profile;
    for (let i = 0; i < samples.length; i++) {
      const ms = (timeDeltas[i + 1] ?? 0) / 1000;
      this.selfMs.set(samples[i], (this.selfMs.get(samples[i]) ?? 0) + ms);
    }
  }

  /** Self time of `id` and everything under it, ms. */
  inclusiveMs(id: number): number {
    const known = this.#inclusive.get(id);
    if (known !== undefined) return known;
    let ms = this.selfMs.get(id) ?? 0;
    for (const child of this.byId.get(id)!.children ?? []) ms += this.inclusiveMs(child);
    this.#inclusive.set(id, ms);
    return ms;
  }
}

const OURS = /\/(src|bench)\/([a-z_0-9/]+)\.ts$/;

/** What a sample on `id` is counted as in the timeline; see the module doc. */
function sampleCategory(indexed: Indexed, id: number): string {
  const frame = indexed.byId.get(id)!.callFrame;
  if (frame.functionName.startsWith("(")) return frame.functionName;
  const ours: string[] = [];
  for (let at: number | undefined = id; at !== undefined; at = indexed.parent.get(at)) {
    const match = indexed.byId.get(at)!.callFrame.url.match(OURS);
    if (match) ours.push(match[2]);
  }
  if (ours.length > 0) return `${ours[ours.length - 1]} > ${ours[0]}`;
  const npm = frame.url.match(/registry\.npmjs\.org\/([^/]+)/);
  if (npm) return `npm:${npm[1]}`;
  return frame.url.split("/").pop() || frame.functionName || "(anonymous)";
}

/** Each `sliceMs` of the profile: its categories and their ms, largest first. */
export function timeline(profile: CpuProfile, sliceMs: number): [number, [string, number][]][] {
  const indexed = new Indexed(profile);
  const slices = new Map<number, Map<string, number>>();
  let at = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] / 1000;
    const slice = Math.floor(at / sliceMs) * sliceMs;
    let shares = slices.get(slice);
    if (shares === undefined) slices.set(slice, shares = new Map());
    const category = sampleCategory(indexed, profile.samples[i]);
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    shares.set(category, (shares.get(category) ?? 0) + ms);
  }
  return [...slices].sort(([a], [b]) => a - b)
    .map(([slice, shares]) => [slice, [...shares].sort(([, a], [, b]) => b - a)]);
}

/** The call tree under every function `name` (in a file holding `inFile`), as indented lines. */
export function treeLines(
  profile: CpuProfile,
  name: string,
  options: { inFile?: string; minMs?: number; depth?: number } = {},
): string[] {
  const indexed = new Indexed(profile);
  const { inFile = "", minMs = 3, depth: maxDepth = 6 } = options;
  const lines: string[] = [];
  const walk = (id: number, depth: number) => {
    const ms = indexed.inclusiveMs(id);
    if (ms < minMs || depth > maxDepth) return;
    const { functionName, url, lineNumber } = indexed.byId.get(id)!.callFrame;
    const where = url.replace(/^.*\/(src|bench)\//, "$1/");
    const self = indexed.selfMs.get(id) ?? 0;
    lines.push(
      `${"  ".repeat(depth)}${ms.toFixed(0)} ms (self ${self.toFixed(0)}) ` +
        `${functionName || "(anonymous)"} ${where}:${lineNumber + 1}`,
    );
    const children = [...indexed.byId.get(id)!.children ?? []];
    children.sort((a, b) => indexed.inclusiveMs(b) - indexed.inclusiveMs(a));
    for (const child of children) walk(child, depth + 1);
  };
  for (const node of profile.nodes) {
    const frame = node.callFrame;
    if (frame.functionName === name && frame.url.includes(inFile)) walk(node.id, 0);
  }
  return lines;
}

if (import.meta.main) {
  const path = Deno.args.find((a, i) => !a.startsWith("--") && !Deno.args[i - 1]?.startsWith("--"));
  if (path === undefined) {
    console.error("Cannot read a profile: give the path of a .cpuprofile file");
    Deno.exit(2);
  }
  const profile = JSON.parse(await Deno.readTextFile(path)) as CpuProfile;
  const name = maybeFlag("tree");
  if (name !== undefined) {
    const lines = treeLines(profile, name, {
      inFile: maybeFlag("in"),
      minMs: maybeFlag("min") === undefined ? undefined : Number(maybeFlag("min")),
      depth: maybeFlag("depth") === undefined ? undefined : Number(maybeFlag("depth")),
    });
    for (const line of lines) console.log(line);
  } else {
    for (const [slice, shares] of timeline(profile, Number(maybeFlag("timeline") ?? 25))) {
      const top = shares.slice(0, 4).map(([c, ms]) => `${c} ${ms.toFixed(0)}`).join(" | ");
      console.log(`${String(slice).padStart(6)}  ${top}`);
    }
  }
}
