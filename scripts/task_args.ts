/**
 * Flags of a `deno task` script (`bundle`, `compile`), read by
 * `node:util`'s `parseArgs`. A flag it does not know, or one that lacks its
 * value, is a usage error: the message and the script's usage on stderr and
 * exit code 2, as the gateway's own CLI does, instead of an uncaught
 * `TypeError` and its stack. `--help` (or `-h`) prints the usage on stdout.
 * @module
 */
// deno-lint-ignore-file no-console
import { parseArgs, type ParseArgsConfig } from "node:util";

/** What `parseArgs` gives for `T`. */
export type TaskArgs<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

/**
 * Parses a task's flags; a number is the exit code to end with instead
 * (0 after `--help`, 2 after a usage error).
 *
 * @example
 * ```ts
 * import { readTaskArgs } from "./task_args.ts";
 * const parsed = readTaskArgs(
 *   { args: ["--out", "x"], options: { out: { type: "string" } }, strict: true },
 *   "usage: deno task example [--out DIR]",
 * );
 * if (typeof parsed !== "number") console.log(parsed.values.out);
 * ```
 */
export function readTaskArgs<T extends ParseArgsConfig>(
  config: T,
  usage: string,
): TaskArgs<T> | number {
  if (config.args?.some((arg) => arg === "--help" || arg === "-h")) {
    console.log(usage);
    return 0;
  }
  try {
    return parseArgs(config);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
    return 2;
  }
}
