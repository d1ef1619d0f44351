/**
 * The gateway's version, read from `deno.json` at build time so one field is
 * the source of truth (it is embedded by `deno compile`).
 * @module
 */
import denoJson from "../../deno.json" with { type: "json" };

/** The release version, e.g. `0.1.0`. */
export const VERSION: string = denoJson.version;

/** The line `version` prints: name, version, runtime. */
export function versionLine(): string {
  return `serval-k8s-gateway ${VERSION} (deno ${Deno.version.deno}, ${Deno.build.target})`;
}
