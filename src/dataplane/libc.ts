/**
 * glibc's libc through FFI, for the few calls Deno has no API for (a socket
 * option on a TLS listener, handing free memory back) and for the socket
 * layer of `--sockets libc` (`libc_net.ts`). Each caller opens
 * the symbols it needs; the permission is asked before the library is
 * opened, so `deno run` without `--allow-ffi` never prompts, and a caller
 * that cannot have libc (not Linux, no permission for its path, another C
 * library without the symbol) gets the reasons instead, for one log line.
 *
 * @example
 * ```ts
 * import { openLibc } from "./libc.ts";
 * const opened = openLibc({ getpid: { parameters: [], result: "i32" } });
 * if ("symbols" in opened) console.log(opened.symbols.getpid());
 * else console.log(opened.problem);
 * ```
 * @module
 */

/** Where glibc's libc usually is (Debian and Ubuntu by architecture, then others). */
export const LIBC_PATHS: readonly string[] = [
  "/lib/x86_64-linux-gnu/libc.so.6",
  "/lib/aarch64-linux-gnu/libc.so.6",
  "/lib64/libc.so.6",
  "/usr/lib/libc.so.6",
  "/lib/libc.so.6",
];

/**
 * `symbols` of the first of {@linkcode LIBC_PATHS} this process may load
 * and that has them all, or why none could be had.
 */
export function openLibc<S extends Deno.ForeignLibraryInterface>(
  symbols: S,
): { symbols: Deno.DynamicLibrary<S>["symbols"] } | { problem: string } {
  if (Deno.build.os !== "linux") return { problem: `not on Linux (${Deno.build.os})` };
  const problems: string[] = [];
  for (const path of LIBC_PATHS) {
    let state: Deno.PermissionState;
    try {
      state = Deno.permissions.querySync({ name: "ffi", path }).state;
    } catch (error) {
      problems.push(`${path}: ${(error as Error).message}`);
      continue;
    }
    if (state !== "granted") {
      problems.push(`${path}: no --allow-ffi`);
      continue;
    }
    try {
      return { symbols: Deno.dlopen(path, symbols).symbols };
    } catch (error) {
      problems.push(`${path}: ${(error as Error).message}`);
    }
  }
  return { problem: problems.join("; ") };
}
