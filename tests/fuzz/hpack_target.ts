/**
 * Fuzz target: the HPACK codec (`src/dataplane/h2/hpack.ts`). Each case is
 * one connection's worth of header blocks: a few lists (some with fields
 * RFC 9113 forbids, some over the list size limit) go through the real
 * encoder and decoder, then one hostile block, random or a mutated
 * encoding, goes to the decoder.
 *
 * Oracle: a clean block decodes to exactly the list encoded, or is refused
 * with `HpackFieldError` exactly when the list is too large or holds a
 * forbidden field, and the tables stay in step either way; a hostile block
 * decodes or throws `HpackError`, nothing else, and what it decodes obeys
 * the limits (list size, table size, well-formed latin-1 fields).
 * @module
 */
import {
  HpackDecoder,
  HpackEncoder,
  HpackError,
  HpackFieldError,
} from "../../src/dataplane/h2/hpack.ts";
import { checkField } from "../../src/dataplane/h2/hpack_fields.ts";
import { bytesLatin1, type Prng } from "./_prng.ts";
import type { CaseFailure, FuzzTarget } from "./_runner.ts";

type Field = [string, string];

const NAMES = [
  ":method",
  ":path",
  ":authority",
  ":scheme",
  ":status",
  "content-type",
  "user-agent",
  "te",
  "grpc-timeout",
  "grpc-status",
  "grpc-message",
  "authorization",
  "cookie",
  "content-length",
  "x-custom",
  "accept-encoding",
  "Upper-Case",
  "bad name",
  "",
];
const VALUES = [
  "",
  "GET",
  "POST",
  "/",
  "200",
  "application/grpc",
  "trailers",
  "gzip",
  "0",
  "1S",
  "/pkg.Service/Method",
  " lead",
  "trail\t",
  "a\r\nb",
  "nul\0",
  "\xff\xfe\x80",
];
/** Integer encodings at the edges of §5.1: big, over 2^31 - 1, too many continuation bytes. */
const INTEGER_TAILS = [
  [0xff, 0xff, 0xff, 0xff, 0x07],
  [0xff, 0xff, 0xff, 0xff, 0x0f],
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x00],
  [0xe1, 0x1f],
  [0xe2, 0x1f],
  [0x80],
  [],
];

function randomText(rng: Prng, octet: () => number): string {
  let out = "";
  const length = rng.chance(0.05) ? rng.range(64, 2000) : rng.int(24);
  for (let i = 0; i < length; i++) out += String.fromCharCode(octet());
  return out;
}

/** A list, usually well formed; `hostile` lets any octet into names and values. */
function randomList(rng: Prng, hostile: boolean): Field[] {
  const octet = hostile ? () => rng.int(256) : () => rng.range(0x21, 0x7e);
  return Array.from({ length: rng.int(10) }, (): Field => {
    const name = rng.chance(0.6)
      ? rng.pick(NAMES)
      : "x-" + randomText(rng, () => rng.range(0x61, 0x7a));
    const value = rng.chance(0.5) ? rng.pick(VALUES) : randomText(rng, octet);
    return hostile
      ? [name, value]
      : [name.toLowerCase().replace(/[^a-z:-]/g, "") || "x", value.trim()];
  });
}

/** A block made of representation-shaped pieces with random numbers in them. */
function randomBlock(rng: Prng): Uint8Array {
  const out: number[] = [];
  for (let pieces = rng.range(1, 8); pieces > 0; pieces--) {
    const kind = rng.int(6);
    if (kind === 0) out.push(0x80 | rng.int(128)); // indexed
    else if (kind === 1) out.push(rng.pick([0x40, 0x00, 0x10]) | rng.int(16)); // literal
    else if (kind === 2) out.push(0x20 | rng.int(32)); // size update
    else if (kind === 3) out.push(rng.pick([0x00, 0x80]) | rng.int(128)); // string length
    else if (kind === 4) out.push(...rng.pick(INTEGER_TAILS));
    else for (let n = rng.int(12); n > 0; n--) out.push(rng.int(256));
  }
  return Uint8Array.from(out);
}

/** One edit of an encoded block. */
function mutateBlock(block: Uint8Array, rng: Prng): Uint8Array {
  const bytes = [...block];
  for (let edits = rng.range(1, 3); edits > 0; edits--) {
    const at = rng.int(bytes.length + 1);
    const kind = rng.int(7);
    if (kind === 0 && bytes.length > 0) bytes[at % bytes.length] ^= 1 << rng.int(8);
    else if (kind === 1) bytes.splice(at, rng.int(2), rng.int(256));
    else if (kind === 2) bytes.splice(at, rng.range(1, 8));
    else if (kind === 3) bytes.length = at;
    else if (kind === 4) {
      bytes.splice(at, 0, ...bytes.slice(rng.int(bytes.length + 1)).slice(0, 16));
    } else if (kind === 5) bytes.splice(at, 0, ...rng.pick(INTEGER_TAILS));
    else bytes.splice(at, 0, rng.pick([0x80, 0x20, 0x3f, 0x7f, 0xff, 0x00, 0x40]));
  }
  return Uint8Array.from(bytes);
}

function listSize(fields: readonly Field[]): number {
  return fields.reduce((sum, [name, value]) => sum + name.length + value.length + 32, 0);
}

const describe = (value: unknown) => JSON.stringify(value).slice(0, 300);

/** What the cases of a run did. */
export interface HpackCounts {
  blocks: number;
  fieldErrors: number;
  hostileDecoded: number;
  hostileRefused: number;
}

/** One clean block through the pair; a failure message, or `undefined`. */
function cleanBlock(
  encoder: HpackEncoder,
  decoder: HpackDecoder,
  list: Field[],
  maxList: number,
  counts: HpackCounts,
): string | undefined {
  const block = encoder.encode(list);
  counts.blocks++;
  const unacceptable = listSize(list) > maxList ||
    list.some(([name, value]) => checkField(name, value) !== undefined);
  try {
    const fields = decoder.decode(block);
    if (unacceptable) return `Accepted an unacceptable list ${describe(list)}`;
    if (JSON.stringify(fields) !== JSON.stringify(list)) {
      return `Decoded ${describe(fields)} from the encoding of ${describe(list)}`;
    }
  } catch (error) {
    if (!(error instanceof HpackFieldError) || !unacceptable) {
      return `Refused the encoding of ${describe(list)}: ${(error as Error)?.stack ?? error}`;
    }
    counts.fieldErrors++;
  }
  if (decoder.tableSize !== encoder.tableSize) {
    return `Tables out of step: decoder ${decoder.tableSize}, encoder ${encoder.tableSize} bytes`;
  }
  return undefined;
}

/** A hostile block: decoded within the limits, or refused with HpackError. */
function hostileBlock(
  decoder: HpackDecoder,
  block: Uint8Array,
  limits: { table: number; list: number },
  counts: HpackCounts,
): string | undefined {
  let fields: [string, string][];
  try {
    fields = decoder.decode(block);
  } catch (error) {
    if (error instanceof HpackError) {
      counts.hostileRefused++;
      return undefined;
    }
    return `Threw something other than HpackError: ${(error as Error)?.stack ?? error}`;
  }
  counts.hostileDecoded++;
  if (listSize(fields) > limits.list) return `Returned a list over ${limits.list} bytes`;
  if (decoder.tableSize > limits.table) {
    return `Table of ${decoder.tableSize} bytes over ${limits.table}`;
  }
  for (const [name, value] of fields) {
    const problem = checkField(name, value) ??
      (/[\u0100-\uffff]/.test(name + value) ? "not latin-1" : undefined);
    if (problem !== undefined) {
      return `Returned a malformed field ${describe([name, value])}: ${problem}`;
    }
  }
  return undefined;
}

/** A list with a character above U+00FF somewhere: a TypeError, and the next blocks still in step. */
function unencodable(encoder: HpackEncoder, rng: Prng): string | undefined {
  const list = randomList(rng, false);
  const bad: Field = rng.chance(0.5) ? ["x-bad", "caf\u20ac"] : ["x-\u{1f600}", "v"];
  list.splice(rng.int(list.length + 1), 0, bad);
  try {
    encoder.encode(list);
  } catch (error) {
    if (error instanceof TypeError) return undefined;
    return `Threw other than TypeError for ${describe(list)}: ${(error as Error)?.stack ?? error}`;
  }
  return `Encoded ${describe(list)}, which is not latin-1`;
}

/** One case: a connection's clean blocks, then one hostile block. */
export function hpackCase(rng: Prng, counts: HpackCounts): CaseFailure | undefined {
  const limits = { table: rng.pick([0, 64, 256, 4096, 4096]), list: rng.pick([256, 4096, 65536]) };
  const encoder = new HpackEncoder();
  const decoder = new HpackDecoder({ maxHeaderListSize: limits.list });
  decoder.setMaxTableSize(limits.table);
  encoder.setMaxTableSize(limits.table);
  for (let i = rng.int(5); i > 0; i--) {
    if (rng.chance(0.15)) {
      // New SETTINGS_HEADER_TABLE_SIZE, acknowledged: both sides apply it.
      limits.table = rng.pick([0, 64, 256, 4096, 8192]);
      decoder.setMaxTableSize(limits.table);
      encoder.setMaxTableSize(limits.table);
    }
    const message = rng.chance(0.05)
      ? unencodable(encoder, rng)
      : cleanBlock(encoder, decoder, randomList(rng, rng.chance(0.2)), limits.list, counts);
    if (message !== undefined) return { input: "", message };
  }
  const block = rng.chance(0.3)
    ? randomBlock(rng)
    : mutateBlock(encoder.encode(randomList(rng, false)), rng);
  const message = hostileBlock(decoder, block, limits, counts);
  return message === undefined ? undefined : { input: bytesLatin1(block), message };
}

/** The target for `runFuzz` and `deno task fuzz --target hpack`. */
export function hpackTarget(): FuzzTarget {
  const counts: HpackCounts = { blocks: 0, fieldErrors: 0, hostileDecoded: 0, hostileRefused: 0 };
  return {
    name: "hpack",
    run: (rng) => Promise.resolve(hpackCase(rng, counts)),
    summary: () =>
      `${counts.blocks} clean blocks (${counts.fieldErrors} refused as field errors), ` +
      `hostile blocks: ${counts.hostileDecoded} decoded, ${counts.hostileRefused} refused`,
  };
}
