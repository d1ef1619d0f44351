/**
 * Where a process's resident memory lives, from `/proc/PID/smaps` (Linux):
 * the executable's own pages (file-backed, clean, shared with every other
 * process running it), other files, the glibc heap (`[heap]` and the 64 MiB
 * arenas of other threads), and the rest of the anonymous memory (mostly the
 * V8 heap and code space, and thread stacks). Test equipment only.
 * @module
 */

/** Resident MiB by where it lives. */
export interface RssParts {
  total: number;
  /** The running executable (deno or the compiled binary): text and read-only data. */
  executable: number;
  /** Other file-backed mappings (shared libraries, ICU data, the code cache). */
  files: number;
  /** glibc's main heap (`[heap]`, brk). */
  brk: number;
  /** glibc's per-thread arenas (anonymous mappings of 64 MiB reserved, part committed). */
  arenas: number;
  /** The other anonymous mappings: V8's heap spaces and code, stacks, Rust allocations by mmap. */
  anon: number;
}

interface Mapping {
  start: number;
  end: number;
  perms: string;
  path: string;
  rssKiB: number;
}

function parseSmaps(text: string): Mapping[] {
  const mappings: Mapping[] = [];
  let current: Mapping | undefined;
  for (const line of text.split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      current = {
        start: parseInt(head[1], 16),
        end: parseInt(head[2], 16),
        perms: head[3],
        path: head[4],
        rssKiB: 0,
      };
      mappings.push(current);
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && current) current.rssKiB = Number(rss[1]);
  }
  return mappings;
}

const ARENA = 64 * 1024 * 1024;

/**
 * Resident memory of `pid` by part. A glibc arena is recognised by its
 * shape: an anonymous read-write mapping starting on a 64 MiB boundary,
 * followed by the inaccessible rest of the same 64 MiB.
 */
export function rssParts(pid: number): RssParts {
  const mappings = parseSmaps(Deno.readTextFileSync(`/proc/${pid}/smaps`));
  const exe = Deno.readLinkSync(`/proc/${pid}/exe`);
  const parts: RssParts = { total: 0, executable: 0, files: 0, brk: 0, arenas: 0, anon: 0 };
  const mib = (kib: number) => kib / 1024;
  for (let i = 0; i < mappings.length; i++) {
    const m = mappings[i];
    const rss = mib(m.rssKiB);
    parts.total += rss;
    if (m.path === exe || m.path === `${exe} (deleted)`) parts.executable += rss;
    else if (m.path.startsWith("/")) parts.files += rss;
    else if (m.path === "[heap]") parts.brk += rss;
    else {
      const next = mappings[i + 1];
      const arena = m.path === "" && m.perms.startsWith("rw") && m.start % ARENA === 0 &&
        next !== undefined && next.start === m.end && next.perms.startsWith("---") &&
        next.end - m.start === ARENA;
      if (arena) parts.arenas += rss;
      else parts.anon += rss;
    }
  }
  return parts;
}

/** One line: `total T (executable E, files F, brk B, arenas A, anon N) MiB`. */
export function formatRssParts(p: RssParts): string {
  const f = (n: number) => n.toFixed(1);
  return `${f(p.total)} (executable ${f(p.executable)}, files ${f(p.files)}, ` +
    `brk ${f(p.brk)}, arenas ${f(p.arenas)}, anon ${f(p.anon)})`;
}
