/**
 * The Deno runtime flags a user runs the gateway with, read from the `start`
 * task in `deno.json`, so the benchmark measures the same process a user
 * starts (permissions, unstable flags, V8 flags) instead of a copy that can
 * drift.
 * @module
 */

/**
 * The flags between `deno run` and `main.ts` in the `start` task of
 * `<root>/deno.json`.
 *
 * @example
 * ```ts ignore
 * import { startTaskFlags } from "./_gateway_flags.ts";
 * await startTaskFlags("/work/main/"); // ["--allow-net", "--allow-read", ...]
 * ```
 */
export async function startTaskFlags(root: string): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(`${root}deno.json`));
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
