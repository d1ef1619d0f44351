/**
 * The builds a benchmark starts side by side: the sources of this or another
 * checkout (`--main A/main.ts,B/main.ts`), a bundle file given as a `--main`
 * (`dist/bundle/main.js`), and with `--bundle` the minified bundle of each
 * checkout as well, built into a temporary directory by `scripts/bundle.ts`
 * (what the compiled binary runs), and with `--split-bundle` the bundle split
 * at its `import()`s. Each is named in the output by what it
 * runs, so a figure says which build it is of.
 * @module
 */
import { dirname } from "node:path";
import { buildBundle } from "../scripts/bundle.ts";
import { MAIN_PATH } from "../tests/_helpers/gateway_process.ts";

/** One build: what to start and the name it is reported by. */
export interface Build {
  name: string;
  /** The `main.ts` or bundle to run. */
  mainPath: string;
}

/** The builds of `--main` and `--bundle`, and how to remove the bundles built for them. */
export interface Builds extends AsyncDisposable {
  builds: Build[];
}

function nameOf(path: string): string {
  return path === MAIN_PATH ? "this checkout" : path;
}

/** Which bundles to build of each `main.ts`. */
export interface BundleChoice {
  /** One file (`NAME (bundle)`). */
  bundle?: boolean;
  /** Split at its `import()`s (`NAME (split bundle)`). */
  split?: boolean;
}

/** The {@linkcode BundleChoice} of a benchmark's command line: `--bundle`, `--split-bundle`. */
export function bundleChoice(args: readonly string[]): BundleChoice {
  return { bundle: args.includes("--bundle"), split: args.includes("--split-bundle") };
}

/**
 * The builds for `mains` (default this checkout's `main.ts`), each
 * `main.ts` followed by the bundles `choice` asks for.
 *
 * @example
 * ```ts ignore
 * import { benchBuilds } from "./_builds.ts";
 * await using b = await benchBuilds(["/tmp/old/main.ts"], { bundle: true });
 * b.builds.map((x) => x.name); // ["/tmp/old/main.ts", "/tmp/old/main.ts (bundle)"]
 * ```
 */
export async function benchBuilds(
  mains: readonly string[],
  choice: BundleChoice,
): Promise<Builds> {
  const dir = await Deno.makeTempDir({ prefix: "serval-bench-bundle-" });
  const builds: Build[] = [];
  const paths = mains.length > 0 ? mains : [MAIN_PATH];
  for (const [i, mainPath] of paths.entries()) {
    builds.push({ name: nameOf(mainPath), mainPath });
    if (!mainPath.endsWith(".ts")) continue;
    if (choice.bundle) {
      const built = await buildBundle(`${dir}/${i}`, dirname(mainPath));
      builds.push({ name: `${nameOf(mainPath)} (bundle)`, mainPath: built.main });
    }
    if (choice.split) {
      const built = await buildBundle(`${dir}/${i}-split`, dirname(mainPath), { split: true });
      builds.push({ name: `${nameOf(mainPath)} (split bundle)`, mainPath: built.main });
    }
  }
  return {
    builds,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }).catch(() => {}),
  };
}
