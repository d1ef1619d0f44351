/**
 * This process's descriptors as /proc lists them. Deno asks for every
 * permission before it lets a program read its own /proc entries, so they
 * are read by `find` and `cat` (which need only `--allow-run`).
 *
 * @example
 * ```ts ignore
 * import { openDescriptors } from "./proc_fds.ts";
 * const epollSets = [...openDescriptors()].filter(([, what]) => what === "anon_inode:[eventpoll]");
 * ```
 * @module
 */

const decoder = new TextDecoder();

function run(command: string, args: string[], vanishedOk = false): string {
  const { success, stdout, stderr } = new Deno.Command(command, { args }).outputSync();
  if (!success && !(vanishedOk && onlyVanished(decoder.decode(stderr)))) {
    throw new Error(`Cannot run ${command}: ${decoder.decode(stderr)}`);
  }
  return decoder.decode(stdout);
}

/**
 * Whether every complaint is of an entry gone while `find` walked: a socket
 * the runtime was still closing (from an earlier test) when the listing
 * began, which is no longer open, so the listing without it is right.
 */
function onlyVanished(stderr: string): boolean {
  const lines = stderr.split("\n").filter((line) => line !== "");
  return lines.length > 0 && lines.every((line) => line.endsWith("No such file or directory"));
}

/** Every open descriptor of this process and what it is (`anon_inode:[eventfd]`, `socket:[…]`, a path). */
export function openDescriptors(): Map<number, string> {
  const fds = new Map<number, string>();
  const listing = run(
    "find",
    [`/proc/${Deno.pid}/fd`, "-mindepth", "1", "-printf", "%f %l\\n"],
    true,
  );
  for (const line of listing.split("\n")) {
    const space = line.indexOf(" ");
    if (space > 0) fds.set(Number(line.slice(0, space)), line.slice(space + 1));
  }
  return fds;
}

/** The descriptors the epoll set `fd` watches (none when it is no epoll set or closed). */
export function epollWatched(fd: number): number[] {
  try {
    const info = run("cat", [`/proc/${Deno.pid}/fdinfo/${fd}`]);
    return [...info.matchAll(/^tfd:\s+(\d+)/gm)].map((m) => Number(m[1]));
  } catch {
    return [];
  }
}
