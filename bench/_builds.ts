/**
 * The builds a benchmark starts side by side: the sources of this or another
 * checkout (`--main A/main.ts,B/main.ts`), a bundle given as a `--main`
 * (`dist/bundle/main.js`), with `--bundle` each checkout's bundle as the
 * compiled binary is built from it (`scripts/bundle.ts`, split at its
 * `import()`s), and with `--one-file-bundle` its bundle as one file. Bundles
 * are built under `/tmp/serval-bench-bundles`. Each build is named in the
 * output by what it runs (`this checkout (sources)`, `... (bundle)`), so a
 * figure says which build it is of.
 * @module
 */
import { dirname } from "node:path";
import { buildBundle, SHIPPED_BUNDLE } from "../scripts/bundle.ts";
import { MAIN_PATH } from "../tests/_helpers/gateway_process.ts";

/** One build: what to start and the name it is reported by. */
export interface Build {
  name: string;
  /** The `main.ts` or bundle to run. */
  mainPath: string;
}

/**
 * An empty directory for a bundle of the checkout at `root`, the same path
 * for the same checkout in every run: Deno keys its code cache by module
 * URL and source, so the same bundle at the same path starts warm, as the
 * sources do (every bench start after the first).
 */
async function bundleDir(root: string, kind: string): Promise<string> {
  const dir = `${BUNDLES}/${root.replaceAll("/", "_")}-${kind}`;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  return dir;
}

const BUNDLES = "/tmp/serval-bench-bundles";

function nameOf(path: string): string {
  return path === MAIN_PATH ? "this checkout" : path;
}

/** Which bundles to build of each `main.ts`. */
export interface BundleChoice {
  /** As the compiled binary is built from it (`NAME (bundle)`). */
  bundle?: boolean;
  /** As one file, not split (`NAME (one-file bundle)`). */
  oneFile?: boolean;
}

/** The {@linkcode BundleChoice} of a benchmark's command line: `--bundle`, `--one-file-bundle`. */
export function bundleChoice(args: readonly string[]): BundleChoice {
  return { bundle: args.includes("--bundle"), oneFile: args.includes("--one-file-bundle") };
}

/**
 * The builds for `mains` (default this checkout's `main.ts`), each
 * `main.ts` followed by the bundles `choice` asks for.
 *
 * @example
 * ```ts ignore
 * import { benchBuilds } from "./_builds.ts";
 * const builds = await benchBuilds(["/tmp/old/main.ts"], { bundle: true });
 * builds.map((x) => x.name); // ["/tmp/old/main.ts (sources)", "/tmp/old/main.ts (bundle)"]
 * ```
 */
export async function benchBuilds(
  mains: readonly string[],
  choice: BundleChoice,
): Promise<Build[]> {
  const builds: Build[] = [];
  const paths = mains.length > 0 ? mains : [MAIN_PATH];
  for (const mainPath of paths) {
    if (!mainPath.endsWith(".ts")) {
      builds.push({ name: nameOf(mainPath), mainPath });
      continue;
    }
    builds.push({ name: `${nameOf(mainPath)} (sources)`, mainPath });
    const root = dirname(mainPath);
    if (choice.bundle) {
      const built = await buildBundle(await bundleDir(root, "split"), root, SHIPPED_BUNDLE);
      builds.push({ name: `${nameOf(mainPath)} (bundle)`, mainPath: built.main });
    }
    if (choice.oneFile) {
      const built = await buildBundle(await bundleDir(root, "one-file"), root);
      builds.push({ name: `${nameOf(mainPath)} (one-file bundle)`, mainPath: built.main });
    }
  }
  return builds;
}
