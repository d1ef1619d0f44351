/**
 * `serval-k8s-gateway version`: one line with the release version, the git
 * revision it was built from and the runtime versions, so a bug report
 * pins the exact build.
 *
 * @example
 * ```ts
 * import { versionLine } from "./version.ts";
 * versionLine(); // "serval-k8s-gateway 0.1.0 (revision 1a2b3c4d5e6f, deno 2.9.6, v8 …, typescript …, x86_64-unknown-linux-gnu)"
 * ```
 * @module
 */
import { type BuildInfo, buildInfo, VERSION } from "./build_info.ts";

export { VERSION };

/** The line `version` prints. */
export function versionLine(info: BuildInfo = buildInfo()): string {
  return `serval-k8s-gateway ${info.version} (revision ${info.revision}, deno ${info.deno}, v8 ${info.v8}, typescript ${info.typescript}, ${info.target})`;
}
