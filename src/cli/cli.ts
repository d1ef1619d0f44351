/**
 * The command-line entry: parses flags, dispatches to `run`, `translate`,
 * `version` or `help`, and turns every outcome into an exit code (0 ok, 1
 * failure or problems, 2 usage error). `main.ts` only calls {@linkcode runCli}
 * and exits with its result.
 *
 * @example
 * ```ts
 * import { type CliCommands, runCli } from "./cli.ts";
 * declare const commands: CliCommands;
 * Deno.exit(await runCli(Deno.args, Deno.env.toObject(), commands));
 * ```
 * @module
 */
import type { GatewayOptions } from "../runtime/gateway_options.ts";
import { parseCommandLine, UsageError } from "./flags.ts";
import { gatewayOptionsFromFlags } from "./gateway_options_from_flags.ts";
import { helpText } from "./help.ts";
import { versionLine } from "./version.ts";

/** Where the CLI writes; tests capture it. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** What each command does; `main.ts` passes the real ones, tests may pass others. */
export interface CliCommands {
  run(options: GatewayOptions): Promise<number>;
  translate(paths: string[], options: GatewayOptions, io: CliIo): Promise<number>;
}

const encoder = new TextEncoder();

/** Writes to the process's standard streams. */
export const PROCESS_IO: CliIo = {
  stdout: (text) => Deno.stdout.writeSync(encoder.encode(text)),
  stderr: (text) => Deno.stderr.writeSync(encoder.encode(text)),
};

/** Runs one command line; resolves with the process exit code. */
export async function runCli(
  args: readonly string[],
  env: Record<string, string | undefined>,
  commands: CliCommands,
  io: CliIo = PROCESS_IO,
): Promise<number> {
  try {
    const parsed = parseCommandLine(args, env);
    switch (parsed.command) {
      case "help":
        io.stdout(helpText() + "\n");
        return 0;
      case "version":
        io.stdout(versionLine() + "\n");
        return 0;
      case "translate": {
        if (parsed.positionals.length === 0) {
          throw new UsageError("Cannot translate: give at least one manifest file or directory");
        }
        // Only flags that shape the output matter offline; the rest are still validated.
        const options = gatewayOptionsFromFlags(parsed, {});
        return await commands.translate(parsed.positionals, options, io);
      }
      case "run":
        return await commands.run(gatewayOptionsFromFlags(parsed, env));
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${error.message}\nRun "serval-k8s-gateway --help" for usage.\n`);
      return 2;
    }
    throw error;
  }
}
