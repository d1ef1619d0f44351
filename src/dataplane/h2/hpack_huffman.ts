/**
 * The Huffman code of HPACK (RFC 7541 §5.2, Appendix B).
 *
 * The code is canonical: ordering the symbols by code length, then by value,
 * and counting up gives exactly the codes of Appendix B, so only the lengths
 * are written down here and the codes are derived from them.
 *
 * Decoding is table-driven: each internal node of the code tree is a state,
 * and one precomputed entry per state and 4-bit input says which state comes
 * next and which symbol, if any, those bits complete (at most one: the
 * shortest code is 5 bits). Two lookups per input byte, no walk per bit.
 * The table (256 states × 16 entries, 16 KiB) is built on first use in a
 * millisecond or two. A table per input byte (256 KiB) decoded ~1.2× faster
 * here, but took 10–50 ms to build cold on a loaded machine, and every
 * worker would pay that and hold it.
 * @module
 */
import { HpackError } from "./hpack_error.ts";

/** Code length in bits of symbols 0–255 and of EOS (256), from RFC 7541 Appendix B. */
// deno-fmt-ignore
const LENGTHS: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];

const EOS = 256;

/** The code of each symbol, right-aligned. */
const CODES: Uint32Array = canonicalCodes(LENGTHS);

function canonicalCodes(lengths: readonly number[]): Uint32Array {
  const symbols = lengths.map((_, symbol) => symbol);
  symbols.sort((a, b) => lengths[a] - lengths[b] || a - b);
  const codes = new Uint32Array(lengths.length);
  let code = 0;
  for (let i = 0; i < symbols.length; i++) {
    if (i > 0) code = (code + 1) * 2 ** (lengths[symbols[i]] - lengths[symbols[i - 1]]);
    codes[symbols[i]] = code;
  }
  return codes;
}

/**
 * Bytes the Huffman coding of `text` takes. Throws a `TypeError` for a
 * character above U+00FF: header fields are octets, and a string that is
 * not latin-1 cannot be sent as one without changing it.
 *
 * @example
 * ```ts
 * import { huffmanLength } from "./hpack_huffman.ts";
 * console.log(huffmanLength("www.example.com")); // 12
 * ```
 */
export function huffmanLength(text: string): number {
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw notOctets(text, i);
    bits += LENGTHS[c];
  }
  return (bits + 7) >>> 3;
}

function notOctets(text: string, at: number): TypeError {
  return new TypeError(
    `Cannot encode header field: character U+${
      text.charCodeAt(at).toString(16).toUpperCase().padStart(4, "0")
    } at ${at} of ${JSON.stringify(text.slice(0, 64))} is not one octet`,
  );
}

/**
 * Writes the Huffman coding of latin-1 `text` into `out` at `pos`, padded
 * with the most significant bits of EOS (ones); returns the position after
 * it. `out` must have {@linkcode huffmanLength} bytes free.
 *
 * @example
 * ```ts
 * import { huffmanEncode, huffmanLength } from "./hpack_huffman.ts";
 * const out = new Uint8Array(huffmanLength("no-cache"));
 * huffmanEncode("no-cache", out, 0); // a8 eb 10 64 9c bf (RFC 7541 C.4.2)
 * ```
 */
export function huffmanEncode(text: string, out: Uint8Array, pos: number): number {
  // `acc` holds fewer than 8 pending bits between symbols, so a code of up
  // to 24 bits fits beside them in 31; longer codes go in two parts.
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) & 0xff;
    const len = LENGTHS[c];
    const code = CODES[c];
    if (len > 24) {
      acc = (acc << (len - 16)) | (code >>> 16);
      bits += len - 16;
      while (bits >= 8) out[pos++] = acc >>> (bits -= 8);
      acc = ((acc & ((1 << bits) - 1)) << 16) | (code & 0xffff);
      bits += 16;
    } else {
      acc = (acc << len) | code;
      bits += len;
    }
    while (bits >= 8) out[pos++] = acc >>> (bits -= 8);
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out[pos++] = (acc << (8 - bits)) | (0xff >>> bits);
  return pos;
}

// Entry layout of the decoding table: next state in bits 0–7, EMITS when
// the bits complete a symbol, the symbol in bits 10–17, and FAIL when that
// symbol is EOS.
const EMITS = 1 << 8;
const FAIL = 1 << 26;

interface DecodeTables {
  /** Entry of state `s` and 4-bit input `n` at `(s << 4) | n`. */
  steps: Uint32Array;
  /** 1 for the states a string may end in: at most 7 bits into the all-ones path. */
  accept: Uint8Array;
}

let tables: DecodeTables | undefined;

/** The code tree: children of internal node `n` at `2n` and `2n + 1`; a leaf is `-(symbol + 1)`. */
function buildTree(): Int16Array {
  const children = new Int16Array(512);
  let nodes = 1;
  for (let symbol = 0; symbol <= EOS; symbol++) {
    let node = 0;
    for (let bit = LENGTHS[symbol] - 1; bit >= 0; bit--) {
      const slot = 2 * node + ((CODES[symbol] >>> bit) & 1);
      if (bit === 0) children[slot] = -(symbol + 1);
      else {
        if (children[slot] === 0) children[slot] = nodes++;
        node = children[slot];
      }
    }
  }
  return children;
}

function buildTables(): DecodeTables {
  const children = buildTree();
  const steps = new Uint32Array(256 * 16);
  for (let state = 0; state < 256; state++) {
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      let entry = 0;
      for (let bit = 3; bit >= 0; bit--) {
        const child = children[2 * node + ((nibble >>> bit) & 1)];
        if (child >= 0) {
          node = child;
          continue;
        }
        const symbol = -child - 1;
        entry = EMITS | (symbol === EOS ? FAIL : symbol << 10);
        node = 0;
      }
      steps[(state << 4) | nibble] = entry | node;
    }
  }
  const accept = new Uint8Array(256);
  for (let node = 0, depth = 0; depth <= 7; depth++) {
    accept[node] = 1;
    node = children[2 * node + 1];
  }
  return { steps, accept };
}

/**
 * Decodes the Huffman string `src[start, end)` into `out` (which needs
 * `floor((end - start) * 8 / 5)` bytes free from 0); returns the decoded
 * length. Throws {@linkcode HpackError} when the string holds EOS, or ends
 * in padding longer than 7 bits or not all ones (§5.2).
 *
 * @example
 * ```ts
 * import { huffmanDecode } from "./hpack_huffman.ts";
 * const out = new Uint8Array(16);
 * const n = huffmanDecode(new Uint8Array([0xa8, 0xeb, 0x10, 0x64, 0x9c, 0xbf]), 0, 6, out);
 * console.log(new TextDecoder().decode(out.subarray(0, n))); // no-cache
 * ```
 */
export function huffmanDecode(
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
): number {
  const { steps, accept } = tables ??= buildTables();
  let state = 0;
  let n = 0;
  for (let i = start; i < end; i++) {
    const byte = src[i];
    const high = steps[(state << 4) | (byte >>> 4)];
    if (high & EMITS) {
      if (high & FAIL) throw holdsEos();
      out[n++] = high >>> 10;
    }
    const low = steps[((high & 0xff) << 4) | (byte & 0x0f)];
    if (low & EMITS) {
      if (low & FAIL) throw holdsEos();
      out[n++] = low >>> 10;
    }
    state = low & 0xff;
  }
  if (accept[state] === 0) {
    throw new HpackError(
      "Cannot decode Huffman string: its padding is longer than 7 bits or not all ones",
    );
  }
  return n;
}

function holdsEos(): HpackError {
  return new HpackError("Cannot decode Huffman string: it holds EOS");
}
