/**
 * The address pool of `--gateway-address-pool CIDR` (IPv4 or IPv6): which
 * addresses it holds, and the deterministic first choice for a Gateway.
 * Addresses are compared as integers (`bigint`) and written in their
 * canonical text (dotted quad; RFC 5952 for IPv6), so `fd00::01` and
 * `fd00::1` are one address. Pure arithmetic; no I/O.
 * @module
 */

/** A parsed pool. `first`..`last` are the usable addresses, as integers. */
export interface AddressPool {
  /** The CIDR, normalised (`127.32.0.0/24`, `fd00:32::/64`). */
  readonly cidr: string;
  readonly family: 4 | 6;
  readonly first: bigint;
  readonly last: bigint;
  /** `last - first + 1`. */
  readonly size: bigint;
}

/** An IP address as a family and an integer. */
export interface IpValue {
  family: 4 | 6;
  value: bigint;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEXTET = /^[0-9a-fA-F]{1,4}$/;

/** Parses an IPv4 or IPv6 literal, or `undefined` when `text` is neither. */
export function parseIp(text: string): IpValue | undefined {
  const v4 = ipv4Value(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = ipv6Value(text);
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

function ipv4Value(text: string): bigint | undefined {
  const m = IPV4.exec(text);
  if (m === null) return undefined;
  const parts = m.slice(1);
  // Leading zeros read as octal in some parsers; refuse them rather than guess.
  if (parts.some((p) => Number(p) > 255 || (p.length > 1 && p[0] === "0"))) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) + BigInt(p), 0n);
}

function ipv6Value(text: string): bigint | undefined {
  if (!text.includes(":") || text.split("::").length > 2) return undefined;
  let words: string[];
  const [head, tail] = text.split("::");
  const split = (s: string) => (s === "" ? [] : s.split(":"));
  let rest = tail === undefined ? split(head) : [...split(head), "::", ...split(tail)];
  // A trailing dotted quad (`::ffff:192.0.2.1`) stands for two words.
  const last = rest.at(-1) ?? "";
  if (last.includes(".")) {
    const v4 = ipv4Value(last);
    if (v4 === undefined) return undefined;
    rest = [...rest.slice(0, -1), (v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16)];
  }
  if (tail === undefined) words = rest;
  else {
    const fill = 8 - (rest.length - 1);
    if (fill < 1) return undefined;
    const i = rest.indexOf("::");
    words = [...rest.slice(0, i), ...Array(fill).fill("0"), ...rest.slice(i + 1)];
  }
  if (words.length !== 8 || !words.every((w) => HEXTET.test(w))) return undefined;
  return words.reduce((acc, w) => (acc << 16n) + BigInt(parseInt(w, 16)), 0n);
}

/** The canonical text of an address: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as `::`). */
export function formatIp(ip: IpValue): string {
  if (ip.family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((ip.value >> shift) & 255n)).join(".");
  }
  const words = Array.from(
    { length: 8 },
    (_, i) => Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn),
  );
  let best = { start: -1, length: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best.start === -1) return hex.join(":");
  return `${hex.slice(0, best.start).join(":")}::${hex.slice(best.start + best.length).join(":")}`;
}

/** The canonical text of an IP literal, or `undefined` when `text` is not one. */
export function canonicalIp(text: string): string | undefined {
  const ip = parseIp(text);
  return ip === undefined ? undefined : formatIp(ip);
}

/** Orders IP literals numerically, IPv4 before IPv6; text that is no address sorts last. */
export function compareIps(a: string, b: string): number {
  const x = parseIp(a);
  const y = parseIp(b);
  if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1;
  if (x.family !== y.family) return x.family - y.family;
  return x.value < y.value ? -1 : x.value > y.value ? 1 : 0;
}

/**
 * Parses a CIDR. IPv4 prefixes up to /30 leave out the network and
 * broadcast addresses, as on any subnet; IPv6 prefixes up to /126 leave out
 * the subnet-router anycast address (host bits all zero). Throws a
 * `TypeError` naming the value when it is not a CIDR.
 *
 * @example
 * ```ts
 * import { parseAddressPool } from "./address_pool.ts";
 * const pool = parseAddressPool("127.32.0.0/24");
 * pool.size; // 254n
 * ```
 */
export function parseAddressPool(cidr: string): AddressPool {
  const [address, prefixText, ...rest] = cidr.split("/");
  const ip = parseIp(address ?? "");
  const bits = ip?.family === 6 ? 128 : 32;
  const prefix = /^\d{1,3}$/.test(prefixText ?? "") ? Number(prefixText) : NaN;
  if (rest.length > 0 || ip === undefined || !(prefix >= 1 && prefix <= bits)) {
    throw new TypeError(
      `Cannot parse address pool: current value is "${cidr}" (expected a CIDR such as 127.32.0.0/24 or fd00:32::/64)`,
    );
  }
  const hostBits = BigInt(bits - prefix);
  const network = (ip.value >> hostBits) << hostBits;
  const top = network + (1n << hostBits) - 1n;
  const first = network + (prefix <= bits - 2 ? 1n : 0n);
  const last = top - (ip.family === 4 && prefix <= 30 ? 1n : 0n);
  return Object.freeze({
    cidr: `${formatIp({ family: ip.family, value: network })}/${prefix}`,
    family: ip.family,
    first,
    last,
    size: last - first + 1n,
  });
}

/** Whether `address` (an IP literal) is a usable address of `pool`. */
export function poolContains(pool: AddressPool, address: string): boolean {
  const ip = parseIp(address);
  return ip !== undefined && ip.family === pool.family && ip.value >= pool.first &&
    ip.value <= pool.last;
}

/**
 * The pool's addresses in the order a Gateway named `key` tries them: a start
 * chosen by a hash of the key, then every following address, wrapping once.
 * The same key always gets the same sequence, so a Gateway's first choice
 * does not depend on the other Gateways, only on which addresses they hold.
 */
export function* candidateAddresses(pool: AddressPool, key: string): Generator<string> {
  const start = BigInt(fnv1a(key)) % pool.size;
  for (let i = 0n; i < pool.size; i++) {
    yield formatIp({ family: pool.family, value: pool.first + ((start + i) % pool.size) });
  }
}

/** 32-bit FNV-1a over the UTF-16 code units of `text`. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
