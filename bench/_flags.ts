/**
 * The `--name value` command-line flags of the benchmarks and their helper
 * processes, and the checkout a `--root` flag names. A leaf: it imports
 * nothing, so a bench that loads another checkout's server modules can read
 * its flags without loading this checkout's.
 * @module
 */

/** The value after `--<name>` on the command line, or `undefined`. */
export function maybeFlag(name: string): string | undefined {
  const at = Deno.args.indexOf(`--${name}`);
  return at === -1 ? undefined : Deno.args[at + 1];
}

/** The value after `--<name>` on the command line, or `fallback`. */
export function flag(name: string, fallback: string): string {
  return maybeFlag(name) ?? fallback;
}

/**
 * The value after `--<name>`, which `what` (e.g. "the raw proxy") needs:
 * an error naming both when it is missing.
 */
export function requiredFlag(name: string, what: string): string {
  const value = maybeFlag(name);
  if (value === undefined) throw new Error(`Cannot start ${what}: --${name} is required`);
  return value;
}

/** The integer after `--<name>`, which `what` needs (see {@linkcode requiredFlag}). */
export function requiredIntFlag(name: string, what: string): number {
  const value = Number(maybeFlag(name) ?? NaN);
  if (!Number.isInteger(value)) {
    throw new Error(`Cannot start ${what}: --${name} is required (an integer)`);
  }
  return value;
}

/**
 * The `file:` URL, ending in `/`, of the checkout `--root DIR` names (a path,
 * absolute or from the working directory), or of this checkout without it.
 */
export function checkoutRoot(): string {
  const dir = maybeFlag("root");
  if (dir === undefined || dir === "") return new URL("../", import.meta.url).href;
  const absolute = dir.startsWith("/") ? dir : `${Deno.cwd()}/${dir}`;
  return new URL(absolute.endsWith("/") ? absolute : absolute + "/", "file:///").href;
}
