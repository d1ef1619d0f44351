/**
 * Random TLS ClientHellos for the ClientHello fuzzer, built as a tree whose
 * length fields are computed when serialised, so a mutation can set one of
 * them off by one (or to anything) while every other stays right. Extensions
 * come from a catalogue of what real clients send (GREASE, ALPN, key shares,
 * padding) plus huge and unknown ones; server names from one of odd names
 * (upper case, IP literals, bytes outside DNS, empty, over 253 bytes); the
 * message is cut into records of random sizes, down to one byte each.
 * @module
 */
import type { Prng } from "./_prng.ts";

/**
 * Bytes, or a group prefixed by its length in `width` bytes, computed (plus
 * `delta`); width 0: a plain sequence.
 */
export type Node = number[] | { width: 0 | 1 | 2 | 3; children: Node[]; delta?: number };

function group(width: 0 | 1 | 2 | 3, ...children: Node[]): Node {
  return { width, children };
}

function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

/** The bytes of a tree; a group's length field wraps at its width. */
export function serialize(node: Node): Uint8Array {
  const out = new Uint8Array(size(node));
  write(node, out, 0);
  return out;
}

function size(node: Node): number {
  if (Array.isArray(node)) return node.length;
  let total = node.width;
  for (const child of node.children) total += size(child);
  return total;
}

/** Writes `node` at `at`; returns the offset after it. */
function write(node: Node, out: Uint8Array, at: number): number {
  if (Array.isArray(node)) {
    out.set(node, at);
    return at + node.length;
  }
  let end = at + node.width;
  for (const child of node.children) end = write(child, out, end);
  const length = (end - at - node.width + (node.delta ?? 0)) >>> 0;
  for (let i = 0; i < node.width; i++) {
    out[at + i] = (length >>> (8 * (node.width - 1 - i))) & 0xff;
  }
  return end;
}

/** Every group of a tree, to pick one to corrupt. */
export function groups(node: Node, found: Exclude<Node, number[]>[] = []): typeof found {
  if (Array.isArray(node)) return found;
  if (node.width > 0) found.push(node);
  for (const child of node.children) groups(child, found);
  return found;
}

function bytes(rng: Prng, length: number, fill?: number): number[] {
  const out = new Array<number>(length);
  for (let i = 0; i < length; i++) out[i] = fill ?? rng.int(256);
  return out;
}

/** Server names real and odd, as bytes. */
const NAMES: readonly (() => number[])[] = [
  () => ascii("a.example.com"),
  () => ascii("Shop.EXAMPLE.com"),
  () => ascii("tls.example.com."),
  () => ascii("a.example.com.."),
  () => ascii("."),
  () => ascii("10.0.0.1"),
  () => ascii("xn--bcher-kva.example"),
  () => ascii("under_score.example.com"),
  () => ascii("a..example.com"),
  () => ascii(".example.com"),
  () => ascii("*.example.com"),
  () => ascii("a b.example.com"),
  () => [0x61, 0x00, 0x2e, 0x63, 0x6f, 0x6d],
  () => [0xc3, 0xa9, 0x2e, 0x65, 0x78],
  () => [0xff, 0xfe, 0x41],
  () => [],
  () => ascii("x".repeat(63) + "." + "y".repeat(63) + "." + "z".repeat(63) + "." + "w".repeat(61)),
  () => ascii("x".repeat(254)),
  () => ascii("l".repeat(300) + ".example.com"),
];

function ascii(text: string): number[] {
  return [...text].map((c) => c.charCodeAt(0) & 0xff);
}

function serverNameExtension(rng: Prng): Node {
  // The empty form servers answer with.
  if (rng.chance(0.03)) return wrapExtension(0, []);
  const entries: Node[] = [];
  const count = rng.pick([1, 1, 1, 1, 1, 1, 1, 2, 3, 0]);
  for (let i = 0; i < count; i++) {
    const type = rng.chance(0.9) ? 0 : rng.pick([1, 7, 255]);
    const name = rng.chance(0.5) ? rng.pick(NAMES.slice(0, 2)) : rng.pick(NAMES);
    entries.push([type], group(2, name()));
  }
  return wrapExtension(0, group(2, ...entries));
}

function wrapExtension(type: number, body: Node): Node {
  return group(0, u16(type), group(2, body));
}

/** Other extensions: what real clients send, and huge or unknown ones. */
const OTHERS: readonly ((rng: Prng) => Node)[] = [
  () => wrapExtension(0x0a0a, []), // GREASE
  () => wrapExtension(16, group(2, group(1, ascii("h2")), group(1, ascii("http/1.1")))),
  () => wrapExtension(43, group(1, [3, 4, 3, 3])), // supported_versions
  (rng) => wrapExtension(51, group(2, u16(0x11ec), group(2, bytes(rng, 1216)))), // PQ key share
  (rng) => wrapExtension(21, bytes(rng, rng.range(0, 512), 0)), // padding
  (rng) => wrapExtension(21, bytes(rng, rng.range(8000, 16000), 0)), // huge padding
  (rng) => wrapExtension(1 + rng.int(0xffff), bytes(rng, rng.range(0, 40))),
];

/** A ClientHello body (after the handshake header) as a tree. */
function helloBody(rng: Prng): Node[] {
  const extensions: Node[] = [];
  const count = rng.range(0, 8);
  const sniAt = rng.chance(0.85) ? rng.int(count + 1) : -1;
  for (let i = 0; i <= count; i++) {
    if (i === sniAt) extensions.push(serverNameExtension(rng));
    if (i < count) extensions.push(rng.pick(OTHERS)(rng));
  }
  // Rarely, a second server_name extension.
  if (rng.chance(0.05)) extensions.push(serverNameExtension(rng));
  const suites = rng.range(1, 40) * 2;
  const body: Node[] = [
    rng.chance(0.95) ? [3, 3] : bytes(rng, 2),
    bytes(rng, 32),
    group(1, bytes(rng, rng.pick([0, 32, 32, rng.int(256)]))),
    group(2, bytes(rng, suites)),
    group(1, rng.chance(0.9) ? [0] : bytes(rng, rng.int(4))),
  ];
  if (rng.chance(0.95)) body.push(group(2, ...extensions));
  return body;
}

/** A whole ClientHello: the handshake tree and how its bytes are cut into records. */
export interface HelloPlan {
  /** The ClientHello body behind its 3-byte handshake length (the type byte 1 comes first). */
  handshake: Node;
  /** Record body sizes, in order (the last takes the rest). */
  recordSizes: number[];
  /** Record content type and version bytes, normally 22 and 3.1. */
  recordHeader: [number, number, number];
}

/** A random plan: fragments of random sizes, sometimes one byte each. */
export function randomPlan(rng: Prng): HelloPlan {
  const handshake = group(3, ...helloBody(rng));
  const total = 1 + size(handshake);
  const mode = rng.int(5);
  const sizes: number[] = [];
  for (let left = total; left > 0;) {
    const size = mode === 0
      ? 16384
      : mode === 1
      ? 1
      : mode === 2
      ? rng.range(1, 64)
      : mode === 3
      ? rng.range(16380, 16384)
      : rng.range(1, 4096);
    sizes.push(Math.min(size, left));
    left -= size;
  }
  const header: [number, number, number] = rng.chance(0.97)
    ? [22, 3, rng.pick([1, 1, 3, 0])]
    : [rng.pick([20, 21, 23, 22]), rng.pick([2, 3, 4]), rng.int(5)];
  return { handshake, recordSizes: sizes, recordHeader: header };
}

/**
 * The bytes of a plan. `recordDelta` sets one record's length field off
 * (index, delta); the handshake tree carries its own deltas.
 */
export function planBytes(plan: HelloPlan, recordDelta?: [number, number]): Uint8Array {
  // The handshake message: type 1, then the body with its 3-byte length.
  const body = serialize(plan.handshake);
  const message = new Uint8Array(1 + body.length);
  message[0] = 1;
  message.set(body, 1);
  const out = new Uint8Array(message.length + 5 * plan.recordSizes.length);
  let from = 0;
  let to = 0;
  plan.recordSizes.forEach((size, i) => {
    const last = i === plan.recordSizes.length - 1;
    const part = message.subarray(from, last ? message.length : from + size);
    from += part.length;
    const length = (part.length + (recordDelta?.[0] === i ? recordDelta[1] : 0)) & 0xffff;
    out[to] = plan.recordHeader[0];
    out[to + 1] = plan.recordHeader[1];
    out[to + 2] = plan.recordHeader[2];
    out[to + 3] = length >> 8;
    out[to + 4] = length & 0xff;
    out.set(part, to + 5);
    to += 5 + part.length;
  });
  return out.subarray(0, to);
}
