/**
 * Reads a V8 `.cpuprofile` (from `deno run --cpu-prof`) and lists where the
 * samples landed: self time per function (with its file and line), so a
 * benchmark run can say which functions of ours are hot without a browser.
 *
 * ```sh
 * deno run --allow-read bench/_cpu_profile.ts CPU.123.cpuprofile [--top 40] [--busy]
 * ```
 *
 * `--busy` gives each function's share of the busy samples (all but
 * `(idle)`), so a gateway that sat idle while other targets ran still
 * shows where its work went.
 * @module
 */
// deno-lint-ignore-file no-console

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time of one function over the whole profile. */
export interface FunctionCost {
  name: string;
  where: string;
  /** Share of all samples, 0–1. */
  self: number;
}

/**
 * Self time per function, largest first.
 *
 * @example
 * ```ts ignore
 * import { selfTimes } from "./_cpu_profile.ts";
 * selfTimes(JSON.parse(await Deno.readTextFile("CPU.cpuprofile"))).slice(0, 10);
 * ```
 */
export function selfTimes(profile: Profile): FunctionCost[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map<string, { name: string; where: string; n: number }>();
  for (const id of profile.samples) {
    const frame = byId.get(id)!.callFrame;
    const file = frame.url.replace(/^.*\/(src|bench|ext|node_modules)\//, "$1/");
    const where = file === "" ? "" : `${file}:${frame.lineNumber + 1}`;
    const name = frame.functionName || "(anonymous)";
    const key = name + " " + where;
    const entry = counts.get(key);
    if (entry === undefined) counts.set(key, { name, where, n: 1 });
    else entry.n++;
  }
  const total = profile.samples.length;
  return [...counts.values()]
    .map((c) => ({ name: c.name, where: c.where, self: c.n / total }))
    .sort((a, b) => b.self - a.self);
}

if (import.meta.main) {
  const path = Deno.args.find((a) => !a.startsWith("--"));
  if (path === undefined) {
    console.error("Cannot summarise a profile: give the path of a .cpuprofile file");
    Deno.exit(2);
  }
  const at = Deno.args.indexOf("--top");
  const top = at === -1 ? 40 : Number(Deno.args[at + 1]);
  let costs = selfTimes(JSON.parse(await Deno.readTextFile(path)));
  if (Deno.args.includes("--busy")) {
    const idle = costs.find((c) => c.name === "(idle)")?.self ?? 0;
    costs = costs.filter((c) => c.name !== "(idle)").map((c) => ({
      ...c,
      self: c.self / (1 - idle),
    }));
  }
  for (const c of costs.slice(0, top)) {
    console.log(`${(c.self * 100).toFixed(1).padStart(5)}%  ${c.name}  ${c.where}`);
  }
}
