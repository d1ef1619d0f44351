/**
 * What a build is: the release version (from `deno.json`, the one source of
 * truth), the git revision embedded by the compile script, and the runtime it
 * runs on. `version` prints it; logs and bug reports quote it.
 *
 * @example
 * ```ts
 * import { buildInfo } from "./build_info.ts";
 * const info = buildInfo();
 * info.version; // "0.1.0"
 * ```
 * @module
 */
import denoJson from "../../deno.json" with { type: "json" };
import { BUILD_REVISION } from "./build_info_revision.ts";

/** The release version, e.g. `0.1.0`. */
export const VERSION: string = denoJson.version;

/** Version, revision and runtime of the running build. */
export interface BuildInfo {
  version: string;
  /** Git revision, or `"unknown"` when run from sources or built outside git. */
  revision: string;
  deno: string;
  v8: string;
  typescript: string;
  /** Target triple, e.g. `x86_64-unknown-linux-gnu`. */
  target: string;
}

/** The running build's information. */
export function buildInfo(): BuildInfo {
  return {
    version: VERSION,
    revision: BUILD_REVISION,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    target: Deno.build.target,
  };
}
