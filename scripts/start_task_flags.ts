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
  const words = command.trim().split(/\s+/);
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
 * The value of the start task's `--v8-flags=...` (comma-separated V8 flags),
 * if it has one: the compiled binary embeds the same, so every way of running
 * the gateway manages its heap alike.
 *
 * @example
 * ```ts ignore
 * import { startTaskV8Flags } from "./start_task_flags.ts";
 * startTaskV8Flags("/work/main/"); // "--max-semi-space-size=4,..."
 * ```
 */
export function startTaskV8Flags(root: string): string | undefined {
  const flag = startTaskFlags(root).find((f) => f.startsWith("--v8-flags="));
  return flag?.slice("--v8-flags=".length);
}
