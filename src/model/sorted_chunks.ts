/**
 * A sorted list whose versions share their items: the items live in chunks
 * of at most {@linkcode CHUNK} entries under a small array of chunks. An
 * insert or a delete copies the one chunk it writes (once per version) and
 * `snapshot()` copies the array of chunks, so a version of thousands of
 * items costs a few hundred pointers, not every item; the whole list is
 * built only when someone reads it (`toArray`). The route statuses of a
 * translate (`route_attachments.ts`) are one: every translate hands back a
 * version, and only the `/config` dump or a fresh status writer reads it all.
 *
 * @example
 * ```ts
 * import { SortedChunks } from "./sorted_chunks.ts";
 * const list = new SortedChunks<number>((a, b) => a - b);
 * list.insert(3);
 * list.insert(1);
 * const first = list.snapshot();
 * list.delete(3);
 * [first.toArray(), list.snapshot().toArray()]; // [[1, 3], [1]]
 * ```
 * @module
 */

/** Most items a chunk holds before it splits in two. */
const CHUNK = 128;

/** One immutable version of a {@linkcode SortedChunks}. */
export class ChunksVersion<T> {
  readonly #chunks: readonly (readonly T[])[];
  readonly size: number;
  #array: T[] | undefined;

  constructor(chunks: readonly (readonly T[])[], size: number) {
    this.#chunks = chunks;
    this.size = size;
  }

  /** Every item in order (built once per version, on first use). */
  toArray(): readonly T[] {
    if (this.#array === undefined) {
      const out: T[] = [];
      for (const chunk of this.#chunks) for (const item of chunk) out.push(item);
      this.#array = out;
    }
    return this.#array;
  }
}

/** The list; see the module doc. Items compare equal only to themselves. */
export class SortedChunks<T> {
  readonly #compare: (a: T, b: T) => number;
  #chunks: T[][] = [];
  /** Chunks written since the last snapshot: this version alone holds them. */
  #owned = new Set<T[]>();
  /** Whether the array of chunks is this version's alone. */
  #ownTop = true;
  #size = 0;

  constructor(compare: (a: T, b: T) => number) {
    this.#compare = compare;
  }

  /** How many items. */
  get size(): number {
    return this.#size;
  }

  /** Adds `item` after every item that sorts before or with it. */
  insert(item: T): void {
    const chunks = this.#top();
    if (chunks.length === 0) {
      const chunk = [item];
      chunks.push(chunk);
      this.#owned.add(chunk);
      this.#size++;
      return;
    }
    const at = this.#chunkFor(item);
    const chunk = this.#own(at);
    chunk.splice(this.#after(chunk, item), 0, item);
    this.#size++;
    if (chunk.length > CHUNK) {
      const tail = chunk.splice(CHUNK >> 1);
      chunks.splice(at + 1, 0, tail);
      this.#owned.add(tail);
    }
  }

  /** Removes `item` (the very object); whether it was there. */
  delete(item: T): boolean {
    if (this.#chunks.length === 0) return false;
    // Items equal to `item` by `compare` may span chunks: look from the first one that could hold it.
    for (let at = this.#firstChunkFor(item); at < this.#chunks.length; at++) {
      const found = this.#chunks[at].indexOf(item);
      if (found < 0) {
        const last = this.#chunks[at][this.#chunks[at].length - 1];
        if (this.#compare(last, item) > 0) return false;
        continue;
      }
      const chunk = this.#own(at);
      chunk.splice(found, 1);
      if (chunk.length === 0) this.#top().splice(at, 1);
      this.#size--;
      return true;
    }
    return false;
  }

  /** Empties the list (earlier versions keep their items). */
  clear(): void {
    this.#chunks = [];
    this.#owned = new Set();
    this.#ownTop = true;
    this.#size = 0;
  }

  /** This version, frozen: later writes copy what they change. */
  snapshot(): ChunksVersion<T> {
    this.#owned = new Set();
    this.#ownTop = false;
    return new ChunksVersion(this.#chunks, this.#size);
  }

  #top(): T[][] {
    if (!this.#ownTop) {
      this.#chunks = [...this.#chunks];
      this.#ownTop = true;
    }
    return this.#chunks;
  }

  /** The chunk at `at`, copied first unless this version wrote it already. */
  #own(at: number): T[] {
    const chunk = this.#chunks[at];
    if (this.#owned.has(chunk)) return chunk;
    const copy = [...chunk];
    this.#top()[at] = copy;
    this.#owned.add(copy);
    return copy;
  }

  /** The last chunk whose first item sorts before or with `item` (else the first chunk). */
  #chunkFor(item: T): number {
    let low = 1;
    let high = this.#chunks.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.#compare(this.#chunks[mid][0], item) <= 0) low = mid + 1;
      else high = mid;
    }
    return low - 1;
  }

  /** The first chunk whose last item does not sort before `item`. */
  #firstChunkFor(item: T): number {
    let low = 0;
    let high = this.#chunks.length - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const chunk = this.#chunks[mid];
      if (this.#compare(chunk[chunk.length - 1], item) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The index in `chunk` after every item that sorts before or with `item`. */
  #after(chunk: readonly T[], item: T): number {
    let low = 0;
    let high = chunk.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.#compare(chunk[mid], item) <= 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
