/**
 * A small seeded pseudo-random generator (mulberry32) for the fuzzers: the
 * same seed gives the same cases on every machine, so a failure prints one
 * number that replays it. Not for anything secret.
 * @module
 */

/** A deterministic generator of 32-bit values. */
export class Prng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** The next unsigned 32-bit value. */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in `[0, n)`; `n` at least 1. */
  int(n: number): number {
    return n <= 1 ? 0 : this.next() % n;
  }

  /** An integer in `[min, max]`. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** `true` with probability `p`. */
  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

/**
 * The seed of case `index` of a run seeded with `seed`: each case has its
 * own generator, so one case replays without running the ones before it.
 */
export function caseSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Bytes of a latin-1 string (one character, one byte). */
export function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** Latin-1 text of bytes. */
export function bytesLatin1(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    out += String.fromCharCode(...bytes.subarray(i, Math.min(bytes.length, i + 4096)));
  }
  return out;
}

/** Hex of a latin-1 string, for printing a failing input so it can be replayed. */
export function hex(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    out += (text.charCodeAt(i) & 0xff).toString(16).padStart(2, "0");
  }
  return out;
}
