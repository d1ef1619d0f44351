/**
 * The git revision a build came from. In a source checkout it is `"unknown"`;
 * `scripts/compile.ts` compiles from a staging copy of the sources in which it
 * rewrites this one file, so the revision is a constant inside the binary
 * (no file to read and no environment variable to trust at run time).
 * @module
 */

/** The git revision (`git rev-parse --short=12 HEAD`) of this build, or `"unknown"`. */
export const BUILD_REVISION: string = "unknown";
