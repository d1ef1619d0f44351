/**
 * Reads the XML glibc's `malloc_info(0, file)` writes (`bench/memory.ts
 * --malloc-info`): per heap (0 is the main one, `brk`; the others are the
 * arenas of other threads), what it holds from the system and its free
 * chunks by size. Free memory in chunks of 128 KiB and more says large
 * blocks were served from the heap (glibc raises its mmap threshold to the
 * largest block freed) and then freed where no trim reaches. Test equipment only.
 * @module
 */

/** One heap's account, bytes. */
export interface MallocHeap {
  nr: number;
  /** Held from the system. */
  system: number;
  /** Free chunks by size class (`FREE_CLASSES`), bytes. */
  free: Record<string, number>;
}

/** The size classes free chunks are summed into: label and lower bound, bytes. */
const FREE_CLASSES: [string, number][] = [
  ["<4K", 0],
  ["4K-64K", 4096],
  ["64K-128K", 65536],
  ["128K-1M", 131072],
  [">=1M", 1048576],
];

/** The heaps of a `malloc_info` XML text. */
export function parseMallocInfo(xml: string): MallocHeap[] {
  const heaps: MallocHeap[] = [];
  for (const [, nr, body] of xml.matchAll(/<heap nr="(\d+)">([\s\S]*?)<\/heap>/g)) {
    const free: Record<string, number> = Object.fromEntries(FREE_CLASSES.map(([l]) => [l, 0]));
    const sizes = body.matchAll(/<size from="(\d+)" to="\d+" total="(\d+)" count="\d+"\/>/g);
    for (const [, from, total] of sizes) {
      const label = FREE_CLASSES.findLast(([, low]) => Number(from) >= low)![0];
      free[label] += Number(total);
    }
    const system = Number(/<system type="current" size="(\d+)"/.exec(body)?.[1] ?? 0);
    heaps.push({ nr: Number(nr), system, free });
  }
  return heaps;
}

/** One line per heap: held from the system, free by chunk size (MiB). */
export function formatMallocHeaps(heaps: MallocHeap[]): string[] {
  const mib = (n: number) => (n / 1048576).toFixed(1);
  return heaps.map((h) =>
    `heap ${h.nr}: ${mib(h.system)} from the system, free by chunk size ` +
    Object.entries(h.free).map(([label, bytes]) => `${label} ${mib(bytes)}`).join(", ")
  );
}
