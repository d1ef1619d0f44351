/**
 * Finding the runtime (`denort`) that `deno compile` wraps around the
 * program. Deno downloads it on first use unless `DENORT_BIN` names a local
 * copy; where the download host is unreachable, a compile without either
 * would hang on the network. Tests ask {@linkcode findDenoRuntime} first and
 * skip at once when there is nothing to use.
 *
 * @example
 * ```ts
 * import { findDenoRuntime } from "./deno_runtime.ts";
 * const runtime = findDenoRuntime(Deno.env.toObject());
 * if (!runtime.found) console.log(runtime.reason);
 * ```
 * @module
 */
import { join } from "node:path";

/** Where a runtime was found, or why none was. */
export type DenoRuntime =
  | { found: true; source: "DENORT_BIN" | "cache"; path: string }
  | { found: false; reason: string };

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Deno's cache directory: `DENO_DIR`, else the platform default. */
export function denoDir(env: Record<string, string | undefined>): string | undefined {
  if (env.DENO_DIR) return env.DENO_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, "deno");
  if (env.HOME) return join(env.HOME, ".cache", "deno");
  return undefined;
}

/** The cached runtime archive `deno compile` would download for this Deno and target. */
export function cachedRuntimePath(
  env: Record<string, string | undefined>,
  version = Deno.version.deno,
  target = Deno.build.target,
): string | undefined {
  const dir = denoDir(env);
  return dir ? join(dir, "dl", "release", `v${version}`, `denort-${target}.zip`) : undefined;
}

/** Looks for `DENORT_BIN`, then the cache; never touches the network. */
export function findDenoRuntime(env: Record<string, string | undefined>): DenoRuntime {
  const fromEnv = env.DENORT_BIN;
  if (fromEnv) {
    return isFile(fromEnv) ? { found: true, source: "DENORT_BIN", path: fromEnv } : {
      found: false,
      reason: `DENORT_BIN is set but is not a file: current value is "${fromEnv}"`,
    };
  }
  const cached = cachedRuntimePath(env);
  if (cached && isFile(cached)) return { found: true, source: "cache", path: cached };
  return {
    found: false,
    reason: `no denort runtime: DENORT_BIN is unset and ${
      cached ?? "the Deno cache"
    } does not exist (deno compile would have to download it)`,
  };
}
