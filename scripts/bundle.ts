/**
 * `deno task bundle`: the gateway as minified JavaScript, what the compiled
 * binary is built from (`scripts/compile.ts`). Two bundles, written side by
 * side: `main.js` (the CLI and gateway, npm packages included) and the
 * data-plane worker's `dataplane_worker.js`, which `--workers N` starts
 * beside the bundle (`src/dataplane/worker_module.ts`).
 *
 * Why: run from the sources, the process loads some 450 modules (about
 * 6 MiB of TypeScript and npm JavaScript) and V8 keeps every module's source
 * in its heap; one minified file is a tenth of that and a single module to
 * load. Modules imported on use (the serving half, `translate`) stay
 * unevaluated until used: the bundler wraps them in functions it calls at
 * the `import()`.
 *
 * Minifying renames identifiers only: string literals (log and error
 * messages, `--help`) are unchanged, every error class sets its own `name`,
 * and each bundle links a source map, so a stack trace names the source
 * files and lines.
 *
 * ```sh
 * deno task bundle                       # dist/bundle/main.js, dist/bundle/dataplane_worker.js
 * deno task bundle --out-dir /tmp/b      # elsewhere
 * deno run -A dist/bundle/main.js --help
 * ```
 * @module
 */
// deno-lint-ignore-file no-console
import { parseArgs } from "node:util";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { WORKER_BUNDLE_NAME } from "../src/dataplane/worker_module.ts";

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
  /** Every file written (the two bundles and their source maps). */
  files: string[];
}

/** The `deno bundle` arguments that bundle `entry` into `output`. */
export function bundleArgs(entry: string, output: string, config: string): string[] {
  return [
    "bundle",
    "--config",
    config,
    "--platform",
    "deno",
    "--minify",
    "--sourcemap=linked",
    "--output",
    output,
    entry,
  ];
}

async function runBundle(root: string, entry: string, output: string): Promise<void> {
  const result = await new Deno.Command(Deno.execPath(), {
    args: bundleArgs(join(root, entry), output, join(root, "deno.json")),
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
 * `outDir` (created if missing); the two bundles run side by side.
 */
export async function buildBundle(outDir: string, root: string = ROOT): Promise<Bundle> {
  await Deno.mkdir(outDir, { recursive: true });
  const main = join(outDir, MAIN_BUNDLE_NAME);
  const worker = join(outDir, WORKER_BUNDLE_NAME);
  await Promise.all([runBundle(root, "main.ts", main), runBundle(root, WORKER_ENTRY, worker)]);
  return { main, worker, files: [main, `${main}.map`, worker, `${worker}.map`] };
}

/** Runs the task; resolves with its exit code. */
export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { "out-dir": { type: "string", default: DEFAULT_BUNDLE_DIR } },
    strict: true,
  });
  const outDir = isAbsolute(values["out-dir"]) ? values["out-dir"] : join(ROOT, values["out-dir"]);
  const bundle = await buildBundle(outDir);
  for (const file of bundle.files) {
    console.error(`bundle: wrote ${file} (${(await Deno.stat(file)).size} bytes)`);
  }
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
