/**
 * `deno task bundle`: the gateway as minified JavaScript, what the compiled
 * binary is built from (`scripts/compile.ts`). Two bundles, written side by
 * side: `main.js` (the CLI and gateway, npm packages included) with the
 * chunks it imports on use (the serving half, `translate`, ...), and the
 * data-plane worker's `dataplane_worker.js`, which `--workers N` starts
 * beside the bundle (`src/dataplane/worker_module.ts`).
 *
 * Why: run from the sources, the process loads some 450 modules (about
 * 6 MiB of TypeScript and npm JavaScript, each transpiled with an inline
 * source map); the bundle is ~0.6 MB in a few modules, and the process
 * holds less memory and spends less CPU starting. What is imported on use
 * stays in chunks loaded at the `import()`, so the source starts listing
 * before the serving half is even parsed (`--one-file` keeps it all in
 * `main.js`, the modules imported on use unevaluated until used).
 *
 * Minifying renames identifiers only: string literals (log and error
 * messages, `--help`) are unchanged and every error class sets its own
 * `name`. A stack trace names minified functions at `main.js:LINE:COLUMN`;
 * each bundle's source map is written beside it (`main.js.map`) to read
 * such a position back to the source, but not linked from the bundle: Deno
 * reads a linked map when it loads the module, and the gateway's (3 MB)
 * kept 6-19 MiB more resident. `--keep-names` (names kept for stack traces)
 * breaks the bundle: its CommonJS npm packages then fail with "Dynamic
 * require of "node:process" is not supported".
 *
 * ```sh
 * deno task bundle                       # dist/bundle/main.js (+ chunks), dist/bundle/dataplane_worker.js
 * deno task bundle --out-dir /tmp/b      # elsewhere
 * deno task bundle --one-file            # main.js not split into chunks
 * deno run -A dist/bundle/main.js --help
 * ```
 * @module
 */
// deno-lint-ignore-file no-console
import { dirname, isAbsolute, join, resolve } from "node:path";
import { WORKER_BUNDLE_NAME } from "../src/dataplane/worker_module.ts";
import { readTaskArgs } from "./task_args.ts";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "..");

/** Default output directory, relative to the root. */
export const DEFAULT_BUNDLE_DIR = "dist/bundle";

/** The gateway's bundle, in the output directory. */
export const MAIN_BUNDLE_NAME = "main.js";

/** The worker's entry, relative to the root. */
export const WORKER_ENTRY = "src/dataplane/dataplane_worker.ts";

/** What {@linkcode buildBundle} wrote. */
export interface Bundle {
  /** Absolute path of the gateway's bundle. */
  main: string;
  /** Absolute path of the worker's bundle, beside it. */
  worker: string;
  /** Every file written (the bundles, any chunks, and their source maps). */
  files: string[];
  /** Of which those the gateway runs (the bundles and chunks, no maps). */
  code: string[];
}

/**
 * The bundle the binary is built from: split. At 5,000 routes it served its
 * first 200 sooner than one file (started without a code cache, one file
 * is parsed whole before its first line runs) and used the least CPU.
 */
export const SHIPPED_BUNDLE: BundleOptions = Object.freeze({ split: true });

/** Options of {@linkcode bundleArgs} and {@linkcode buildBundle}. */
export interface BundleOptions {
  /**
   * Split the gateway's bundle at its `import()`s into chunks loaded on use
   * (written into the output directory), instead of one file.
   */
  split?: boolean;
}

/**
 * The `deno bundle` arguments that bundle `entry` into `output` (a file), or
 * with `split` into chunks in `output` (a directory).
 */
export function bundleArgs(
  entry: string,
  output: string,
  config: string,
  options: BundleOptions = {},
): string[] {
  return [
    "bundle",
    "--config",
    config,
    "--platform",
    "deno",
    "--minify",
    "--sourcemap=external",
    ...(options.split ? ["--code-splitting", "--outdir"] : ["--output"]),
    output,
    entry,
  ];
}

async function runBundle(root: string, entry: string, args: string[]): Promise<void> {
  const result = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  if (!result.success) {
    const stderr = new TextDecoder().decode(result.stderr).trim();
    throw new Error(`Cannot bundle ${entry}: deno bundle exited with ${result.code}: ${stderr}`);
  }
}

/**
 * Bundles the gateway and its worker from the checkout at `root` into
 * `outDir` (created if missing); the two bundles run side by side. `files`
 * lists what the directory holds after (use an empty one).
 */
export async function buildBundle(
  outDir: string,
  root: string = ROOT,
  options: BundleOptions = {},
): Promise<Bundle> {
  await Deno.mkdir(outDir, { recursive: true });
  const main = join(outDir, MAIN_BUNDLE_NAME);
  const worker = join(outDir, WORKER_BUNDLE_NAME);
  const config = join(root, "deno.json");
  const entry = join(root, "main.ts");
  await Promise.all([
    runBundle(root, "main.ts", bundleArgs(entry, options.split ? outDir : main, config, options)),
    runBundle(root, WORKER_ENTRY, bundleArgs(join(root, WORKER_ENTRY), worker, config)),
  ]);
  const files: string[] = [];
  for await (const file of Deno.readDir(outDir)) files.push(join(outDir, file.name));
  files.sort();
  return { main, worker, files, code: files.filter((file) => file.endsWith(".js")) };
}

/** The task's usage, printed by `--help` and after a usage error. */
const USAGE = "usage: deno task bundle [--out-dir DIR] [--one-file]";

/** Runs the task; resolves with its exit code. */
export async function main(args: string[]): Promise<number> {
  const parsed = readTaskArgs({
    args,
    options: {
      "out-dir": { type: "string", default: DEFAULT_BUNDLE_DIR },
      "one-file": { type: "boolean", default: false },
    },
    strict: true,
  }, USAGE);
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  const outDir = isAbsolute(values["out-dir"]) ? values["out-dir"] : join(ROOT, values["out-dir"]);
  const bundle = await buildBundle(outDir, ROOT, values["one-file"] ? {} : SHIPPED_BUNDLE);
  for (const file of bundle.files) {
    console.error(`bundle: wrote ${file} (${(await Deno.stat(file)).size} bytes)`);
  }
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
