/**
 * The Deno runtime flags a user runs the gateway with, read from the `start`
 * task in `deno.json`, so the demo, the test helper that starts the gateway
 * process and the benchmarks all run the same process a user starts
 * (permissions, unstable flags) instead of copies that can drift.
 * @module
 */

/**
 * The flags between `deno run` and `main.ts` in the `start` task of
 * `<root>deno.json` (`root` ends with a slash).
 *
 * @example
 * ```ts ignore
 * import { startTaskFlags } from "./start_task_flags.ts";
 * startTaskFlags("/work/main/"); // ["--unstable-net", "--allow-net", ...]
 * ```
 */
export function startTaskFlags(root: string): string[] {
  const command = startTaskCommand(root);
  const words = command.trim().split(/\s+/).slice(envWords(command).length);
  const run = words.indexOf("run");
  const main = words.findIndex((w) => w === "main.ts" || w.endsWith("/main.ts"));
  if (words[0] !== "deno" || run !== 1 || main < run) {
    throw new Error(
      `Cannot read the gateway's flags from the start task: current value is "${command}"`,
    );
  }
  return words.slice(run + 1, main);
}

/**
 * The environment the `start` task sets before `deno` (`NAME=VALUE` words,
 * e.g. glibc's `MALLOC_ARENA_MAX`): the allocator reads it at process start,
 * so the processes tests and benchmarks start get it too, and the container
 * image sets the same (`ENV` in the Dockerfile).
 *
 * @example
 * ```ts ignore
 * import { startTaskEnv } from "./start_task_flags.ts";
 * startTaskEnv("/work/main/"); // { MALLOC_ARENA_MAX: "2" }
 * ```
 */
export function startTaskEnv(root: string): Record<string, string> {
  return Object.fromEntries(envWords(startTaskCommand(root)).map((a) => [a[1], a[2]]));
}

/** The `NAME=VALUE` words a task's command starts with, matched. */
function envWords(command: string): RegExpExecArray[] {
  const found: RegExpExecArray[] = [];
  for (const word of command.trim().split(/\s+/)) {
    const assignment = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(word);
    if (assignment === null) break;
    found.push(assignment);
  }
  return found;
}

/** The `start` task's command in `<root>deno.json`. */
function startTaskCommand(root: string): string {
  const config = JSON.parse(Deno.readTextFileSync(`${root}deno.json`));
  const task: unknown = config?.tasks?.start;
  const command = typeof task === "string"
    ? task
    : typeof (task as { command?: unknown })?.command === "string"
    ? (task as { command: string }).command
    : undefined;
  if (command === undefined) {
    throw new Error(`Cannot read the start task of ${root}deno.json: it has none`);
  }
  return command;
}

/**
 * The value of the start task's `--v8-flags=...` (comma-separated V8 flags),
 * if it has one: the compiled binary embeds the same, so every way of running
 * the gateway manages its heap alike.
 *
 * @example
 * ```ts ignore
 * import { startTaskV8Flags } from "./start_task_flags.ts";
 * startTaskV8Flags("/work/main/"); // "--max-semi-space-size=2,..."
 * ```
 */
export function startTaskV8Flags(root: string): string | undefined {
  const flag = startTaskFlags(root).find((f) => f.startsWith("--v8-flags="));
  return flag?.slice("--v8-flags=".length);
}
