/**
 * `deno task compile`: builds `dist/serval-k8s-gateway`, one self-contained
 * binary (npm packages embedded) with the narrow permissions of
 * `compile_permissions.ts` baked in.
 *
 * It stages a copy of the sources in which `src/cli/build_info_revision.ts`
 * carries the git revision, so the revision is a constant in the binary and
 * the working tree is never modified, bundles that copy
 * (`scripts/bundle.ts`: the gateway and its data-plane worker as minified
 * JavaScript) and compiles the bundle, embedding the worker's bundle beside
 * it: a process that loads one module of ~0.6 MB instead of ~450 modules,
 * and holds less memory (README, "How the binary is built"). The bundle's
 * source maps are written beside the binary (`<output>.maps/`).
 *
 * ```sh
 * deno task compile                                  # dist/serval-k8s-gateway
 * deno task compile --read /srv/manifests            # may also read /srv/manifests
 * DENORT_BIN=/opt/denort deno task compile           # offline: use this runtime
 * deno task compile --target aarch64-unknown-linux-gnu --output dist/serval-arm64
 * ```
 *
 * Flags: `--output PATH`, `--target TRIPLE`, `--read PATH` (repeatable),
 * `--revision REV` (default `$GIT_REVISION`, else `git rev-parse`, else
 * `unknown`). `DENORT_BIN` is passed to `deno compile`, which uses it instead
 * of downloading the runtime.
 * @module
 */
// deno-lint-ignore-file no-console
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { permissionFlags } from "./compile_permissions.ts";
import { startTaskV8Flags } from "./start_task_flags.ts";
import { findDenoRuntime } from "./deno_runtime.ts";
import { buildBundle, SHIPPED_BUNDLE } from "./bundle.ts";
import { readTaskArgs } from "./task_args.ts";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "..");

/** What the binary is built from: the entry, its config and lockfile, and the code it imports. */
export const STAGED_PATHS: readonly string[] = ["main.ts", "deno.json", "deno.lock", "std", "src"];

/** The module the staging copy rewrites, relative to the root. */
export const REVISION_MODULE = "src/cli/build_info_revision.ts";

/** Default output, relative to the root. */
export const DEFAULT_OUTPUT = "dist/serval-k8s-gateway";

/** The source of {@linkcode REVISION_MODULE} for a revision. */
export function revisionModuleSource(revision: string): string {
  if (!/^[A-Za-z0-9._+-]{1,64}$/.test(revision)) {
    throw new TypeError(`Cannot embed the git revision: current value is "${revision}"`);
  }
  return `/** The git revision of this build, written by scripts/compile.ts. @module */\n` +
    `/** The git revision of this build. */\n` +
    `export const BUILD_REVISION: string = ${JSON.stringify(revision)};\n`;
}

/** `git rev-parse --short=12 HEAD` (plus `-dirty` with uncommitted changes), or undefined. */
export async function gitRevision(root = ROOT): Promise<string | undefined> {
  const git = async (...args: string[]) => {
    try {
      return await new Deno.Command("git", { args, cwd: root, stdout: "piped", stderr: "null" })
        .output();
    } catch {
      return undefined; // git is not installed (a container build stage).
    }
  };
  const head = await git("rev-parse", "--short=12", "HEAD");
  if (!head?.success) return undefined;
  const revision = new TextDecoder().decode(head.stdout).trim();
  const clean = await git("diff", "--quiet", "HEAD", "--", ...STAGED_PATHS);
  return clean && !clean.success ? `${revision}-dirty` : revision;
}

async function copyTree(from: string, to: string): Promise<void> {
  const info = await Deno.stat(from);
  if (info.isFile) {
    await Deno.mkdir(dirname(to), { recursive: true });
    await Deno.copyFile(from, to);
    return;
  }
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    await copyTree(join(from, entry.name), join(to, entry.name));
  }
}

/**
 * Copies {@linkcode STAGED_PATHS} from `root` into `dir` (a missing
 * `deno.lock` is skipped) and writes the revision module there.
 */
export async function stageSources(dir: string, revision: string, root = ROOT): Promise<void> {
  for (const path of STAGED_PATHS) {
    try {
      await copyTree(join(root, path), join(dir, path));
    } catch (error) {
      if (path === "deno.lock" && error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
  }
  await Deno.writeTextFile(join(dir, REVISION_MODULE), revisionModuleSource(revision));
}

/** Options of {@linkcode compileArgs}. */
export interface CompileOptions {
  /** Absolute path of the binary to write. */
  output: string;
  /** Absolute path of the gateway's bundle (`<stage>/bundle/main.js`). */
  entry: string;
  /** Files embedded beside it: the worker's bundle (and any chunks). */
  include?: readonly string[];
  target?: string;
  readPaths?: readonly string[];
  /** V8 flags the binary runs with (comma-separated), as `deno compile --v8-flags` takes them. */
  v8Flags?: string;
}

/** The `deno` arguments that compile the staged bundle. */
export function compileArgs(options: CompileOptions): string[] {
  return [
    "compile",
    ...permissionFlags({ readPaths: options.readPaths }),
    ...(options.v8Flags ? [`--v8-flags=${options.v8Flags}`] : []),
    // The bundle holds its npm packages: embed none from the lockfile.
    "--exclude-unused-npm",
    // `--workers N` starts the worker's bundle with `new Worker`; the
    // gateway's bundle does not import it, so it is embedded by name.
    ...(options.include ?? []).flatMap((path) => ["--include", path]),
    ...(options.target ? ["--target", options.target] : []),
    "--output",
    options.output,
    options.entry,
  ];
}

/** The task's usage, printed by `--help` and after a usage error. */
const USAGE =
  "usage: deno task compile [--output PATH] [--target TRIPLE] [--read PATH]... [--revision REV]";

/** Runs the task; resolves with its exit code. */
export async function main(args: string[], env: Record<string, string | undefined>) {
  const parsed = readTaskArgs({
    args,
    options: {
      output: { type: "string", default: DEFAULT_OUTPUT },
      target: { type: "string" },
      read: { type: "string", multiple: true, default: [] },
      revision: { type: "string" },
    },
    strict: true,
  }, USAGE);
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  const output = isAbsolute(values.output) ? values.output : join(ROOT, values.output);
  const readPaths = values.read.map((p) => resolve(p));
  const revision = values.revision ?? env.GIT_REVISION ?? (await gitRevision()) ?? "unknown";
  const runtime = findDenoRuntime(env);
  console.error(
    runtime.found
      ? `compile: runtime from ${runtime.source}: ${runtime.path}`
      : `compile: ${runtime.reason}; deno compile will try to download it`,
  );
  const stage = await Deno.makeTempDir({ prefix: "serval-compile-" });
  try {
    await stageSources(stage, revision);
    const bundle = await buildBundle(join(stage, "bundle"), stage, SHIPPED_BUNDLE);
    await Deno.mkdir(dirname(output), { recursive: true });
    const argv = compileArgs({
      output,
      entry: bundle.main,
      include: bundle.code.filter((file) => file !== bundle.main),
      target: values.target,
      readPaths,
      // The heap settings `deno task start` runs with (see README, Heap
      // settings): 2 MiB semi-spaces and the old generation grown by
      // half of what survives, which keep the resident memory of thousands
      // of routes low and full collections rare enough to keep a new
      // route's propagation short.
      v8Flags: startTaskV8Flags(`${ROOT}/`),
    });
    console.error(`compile: revision ${revision}\ncompile: deno ${argv.join(" ")}`);
    const status = await new Deno.Command(Deno.execPath(), {
      args: argv,
      cwd: stage,
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (status.success) {
      // Beside the binary: they read a stack trace's `main.js:LINE:COLUMN`
      // (or a chunk's) back to the sources.
      const maps = `${output}.maps`;
      await Deno.remove(maps, { recursive: true }).catch(() => {});
      await Deno.mkdir(maps, { recursive: true });
      for (const file of bundle.files.filter((f) => f.endsWith(".map"))) {
        await Deno.copyFile(file, join(maps, basename(file)));
      }
      console.error(`compile: wrote ${output} and its source maps in ${maps}`);
    }
    return status.code;
  } finally {
    await Deno.remove(stage, { recursive: true });
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args, Deno.env.toObject()));
}
