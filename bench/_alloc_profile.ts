/**
 * V8's sampling heap profiler through the inspector, counting what was
 * allocated and collected since it started too: which functions allocate
 * the most bytes while the gateway takes changes, and every large
 * allocation (over V8's regular object size limit: one large-object page
 * each, freed only by a full collection) with its stack. Test equipment
 * only.
 * @module
 */
// deno-lint-ignore-file no-console
import type { InspectorSession } from "./_inspector.ts";
import { REGULAR_OBJECT_LIMIT } from "./_heap_large.ts";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  selfSize: number;
  children: ProfileNode[];
}
/** What `HeapProfiler.stopSampling` returns. */
export interface SamplingProfile {
  head: ProfileNode;
  samples: { size: number; nodeId: number }[];
}

/** Starts sampling every `intervalBytes` on average, collected objects included. */
export async function startAllocSampling(
  session: InspectorSession,
  intervalBytes = 16384,
): Promise<void> {
  await session.call("HeapProfiler.enable");
  await session.call("HeapProfiler.startSampling", {
    samplingInterval: intervalBytes,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
}

/** Stops sampling; the profile. */
export async function stopAllocSampling(session: InspectorSession): Promise<SamplingProfile> {
  const { profile } = await session.call("HeapProfiler.stopSampling") as {
    profile: SamplingProfile;
  };
  return profile;
}

function frame(f: CallFrame): string {
  const file = f.url.replace(/^.*\/(src|bench|ext:[^/]*|node_modules)\//, "$1/");
  return `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`;
}

/**
 * Prints the top allocating sites per `unit` (a change of the table, a
 * request) and the large allocations with their stacks.
 */
export function printAllocProfile(
  profile: SamplingProfile,
  changes: number,
  top = 20,
  unit = "change",
): void {
  const stacks = new Map<number, string[]>();
  const nodes = new Map<number, ProfileNode>();
  const walk = (n: ProfileNode, stack: string[]) => {
    const here = [...stack, frame(n.callFrame)];
    stacks.set(n.id, here);
    nodes.set(n.id, n);
    for (const c of n.children) walk(c, here);
  };
  walk(profile.head, []);
  const tail = (id: number, depth: number) =>
    (stacks.get(id) ?? []).filter((s) => !s.startsWith("(root)")).slice(-depth).reverse();
  const bySite = new Map<string, number>();
  for (const n of stacks.keys()) {
    const node = nodes.get(n);
    if (!node || node.selfSize === 0) continue;
    const site = tail(n, 3).join(" < ");
    bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
  }
  const total = [...bySite.values()].reduce((a, b) => a + b, 0);
  console.log(
    `  allocated over ${changes} ${unit}s (sampled, collected objects too): ` +
      `${(total / 1048576).toFixed(1)} MiB, ${(total / changes / 1024).toFixed(2)} KiB a ${unit}`,
  );
  for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`    ${(bytes / changes).toFixed(0).padStart(9)} B/${unit}  ${site}`);
  }
  const large = profile.samples.filter((s) => s.size >= REGULAR_OBJECT_LIMIT);
  const byStack = new Map<string, [number, number]>();
  for (const s of large) {
    const key = tail(s.nodeId, 5).join(" < ");
    const e = byStack.get(key) ?? [0, 0];
    byStack.set(key, [e[0] + 1, e[1] + s.size]);
  }
  console.log(
    `  large allocations sampled (>= ${REGULAR_OBJECT_LIMIT / 1024} KiB): ${large.length}`,
  );
  for (const [stack, [count, bytes]] of [...byStack].sort((a, b) => b[1][1] - a[1][1])) {
    console.log(`    ${count}× ${(bytes / count / 1024).toFixed(0)} KiB  ${stack}`);
  }
}
