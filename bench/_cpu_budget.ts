/**
 * A CPU budget for one benchmarked process tree: a cgroup whose CPU quota is
 * `cpus` cores' worth of time per period (cgroup v2 `cpu.max`, or v1
 * `cpu.cfs_quota_us` where only v1's `cpu` controller is mounted). Processes
 * started through {@linkcode CpuBudget.wrap} run inside it, their threads
 * too; the load generator and the backend stay outside. Needs root; the
 * cgroup is removed by `remove()` once its processes ended.
 * @module
 */

/** One cgroup with a CPU quota. */
export interface CpuBudget {
  /** Cores' worth of CPU time the group may use. */
  readonly cpus: number;
  readonly path: string;
  /**
   * `[command, args]` that run `command args` inside the group: a shell
   * moves itself in, then `exec`s the command (same pid).
   */
  wrap(command: string, args: string[]): [string, string[]];
  /** Periods in which the group ran out of quota so far. */
  throttledPeriods(): number;
  /** Removes the group; its processes must have ended. */
  remove(): Promise<void>;
}

const PERIOD_US = 20_000;

/** Why no budget can be made here, or `undefined` when one can. */
export function cpuBudgetUnavailable(): string | undefined {
  if (Deno.uid() !== 0) return "cgroups need root";
  if (controllerRoot() === undefined) return "no cgroup cpu controller is mounted";
  return undefined;
}

function controllerRoot(): { root: string; v2: boolean } | undefined {
  try {
    const controllers = Deno.readTextFileSync("/sys/fs/cgroup/cgroup.controllers");
    if (controllers.split(/\s+/).includes("cpu")) return { root: "/sys/fs/cgroup", v2: true };
  } catch {
    // Not a v2 hierarchy at the top.
  }
  try {
    Deno.statSync("/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
    return { root: "/sys/fs/cgroup/cpu", v2: false };
  } catch {
    return undefined;
  }
}

/**
 * Makes a cgroup named `name` allowed `cpus` cores' worth of CPU. Throws
 * when cgroups cannot be used (see {@linkcode cpuBudgetUnavailable}).
 */
export function createCpuBudget(name: string, cpus: number): CpuBudget {
  const found = controllerRoot();
  if (found === undefined || Deno.uid() !== 0) {
    throw new Error(`Cannot make CPU budget ${name}: ${cpuBudgetUnavailable()}`);
  }
  const path = `${found.root}/${name}`;
  Deno.mkdirSync(path, { recursive: true });
  const quota = Math.round(cpus * PERIOD_US);
  if (found.v2) {
    Deno.writeTextFileSync(`${path}/cpu.max`, `${quota} ${PERIOD_US}`);
  } else {
    Deno.writeTextFileSync(`${path}/cpu.cfs_period_us`, String(PERIOD_US));
    Deno.writeTextFileSync(`${path}/cpu.cfs_quota_us`, String(quota));
  }
  return {
    cpus,
    path,
    wrap: (command, args) => [
      "sh",
      ["-c", `echo $$ > ${path}/cgroup.procs && exec "$0" "$@"`, command, ...args],
    ],
    throttledPeriods: () => {
      const stat = Deno.readTextFileSync(`${path}/cpu.stat`);
      return Number(/nr_throttled (\d+)/.exec(stat)?.[1] ?? NaN);
    },
    remove: async () => {
      for (let i = 0; i < 50; i++) {
        try {
          Deno.removeSync(path);
          return;
        } catch {
          // Processes still leaving the group.
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
  };
}
