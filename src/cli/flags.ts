/**
 * Parsing the command line: the flags of `flag_table.ts` from arguments and
 * their `SERVAL_*` environment fallback, before any value is validated.
 *
 * Parsing uses `node:util` `parseArgs`: it ships with the runtime (no
 * dependency, nothing to vendor), handles `--flag value`, `--flag=value`,
 * repeated flags, `--no-<flag>` and strict unknown-flag errors; we only add
 * value validation and our own error wording on top.
 * @module
 */
import { parseArgs } from "node:util";
import { envName, FLAGS } from "./flag_table.ts";

/** A mistake on the command line: printed with a hint, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Raw flag values after merging flags over environment, before validation. */
export type RawFlags = Record<string, string | boolean | string[] | undefined>;

/** The parsed command line. */
export interface ParsedCommandLine {
  command: "run" | "translate" | "version" | "help";
  /** Positional arguments after the command (`translate` paths). */
  positionals: string[];
  flags: RawFlags;
  /** Where each flag's value came from, for error messages (`--admin-addr` or `SERVAL_ADMIN_ADDR`). */
  origin: Record<string, string>;
}

const COMMANDS = new Set(["run", "translate", "version", "help"]);

function parseBool(text: string): boolean | undefined {
  const value = text.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(value)) return true;
  if (["false", "0", "no", "off"].includes(value)) return false;
  return undefined;
}

/**
 * `parseArgs` refuses `--flag=false` for booleans; people write it anyway (and
 * Kubernetes manifests often do), so rewrite it to `--flag` / `--no-flag`.
 */
function normaliseBooleans(args: readonly string[]): string[] {
  const booleans = new Set(FLAGS.filter((f) => f.type === "boolean").map((f) => f.name));
  return args.map((arg) => {
    const m = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (!m || !booleans.has(m[1])) return arg;
    const value = parseBool(m[2]);
    if (value === undefined) {
      throw new UsageError(`Cannot parse --${m[1]}: current value is "${m[2]}"`);
    }
    return value ? `--${m[1]}` : `--no-${m[1]}`;
  });
}

function rewordParseError(error: unknown): UsageError {
  const err = error as { code?: string; message?: string };
  const message = err.message ?? String(error);
  const option = /'(-[^' ]+)/.exec(message)?.[1];
  switch (err.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return new UsageError(`Cannot parse flags: unknown flag "${option ?? message}"`);
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return message.includes("argument missing")
        ? new UsageError(`Cannot parse ${option}: a value is required`)
        : new UsageError(`Cannot parse ${option}: it takes no value`);
    default:
      return new UsageError(`Cannot parse flags: ${message}`);
  }
}

/**
 * Parses `args` (without the program name) and merges `SERVAL_*` variables from
 * `env` under them: a flag on the command line wins over its variable.
 * Throws {@linkcode UsageError} for unknown flags or missing values.
 */
export function parseCommandLine(
  args: readonly string[],
  env: Record<string, string | undefined>,
): ParsedCommandLine {
  const options: Record<
    string,
    { type: "string" | "boolean"; multiple?: boolean; short?: string }
  > = { help: { type: "boolean", short: "h" } };
  for (const flag of FLAGS) {
    options[flag.name] = flag.multiple ? { type: flag.type, multiple: true } : { type: flag.type };
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: normaliseBooleans(args),
      options,
      strict: true,
      allowPositionals: true,
      allowNegative: true,
    });
  } catch (error) {
    throw rewordParseError(error);
  }
  const positionals = [...parsed.positionals];
  let command: ParsedCommandLine["command"] = "run";
  if (positionals.length > 0 && COMMANDS.has(positionals[0])) {
    command = positionals.shift() as ParsedCommandLine["command"];
  }
  if (parsed.values.help) command = "help";
  if (command === "run" && positionals.length > 0) {
    throw new UsageError(`Cannot run: unexpected argument "${positionals[0]}"`);
  }

  const flags: RawFlags = {};
  const origin: Record<string, string> = {};
  for (const flag of FLAGS) {
    const given = (parsed.values as Record<string, string | boolean | string[] | undefined>)[
      flag.name
    ];
    if (given !== undefined) {
      flags[flag.name] = given;
      origin[flag.name] = `--${flag.name}`;
      continue;
    }
    const fromEnv = env[envName(flag.name)];
    if (fromEnv === undefined || fromEnv === "") continue;
    origin[flag.name] = envName(flag.name);
    if (flag.type === "boolean") {
      const value = parseBool(fromEnv);
      if (value === undefined) {
        throw new UsageError(`Cannot parse ${envName(flag.name)}: current value is "${fromEnv}"`);
      }
      flags[flag.name] = value;
    } else if (flag.multiple) {
      flags[flag.name] = fromEnv.split(",").map((s) => s.trim()).filter((s) => s !== "");
    } else {
      flags[flag.name] = fromEnv;
    }
  }
  return { command, positionals, flags, origin };
}
