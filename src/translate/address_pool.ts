/**
 * The IPv4 address pool of `--gateway-address-pool CIDR`: which addresses it
 * holds, and the deterministic first choice for a Gateway. Pure arithmetic
 * on 32-bit integers; no I/O.
 * @module
 */

/** A parsed pool. `first`..`last` are the usable addresses, as integers. */
export interface AddressPool {
  /** The CIDR as given, normalised (`127.32.0.0/24`). */
  readonly cidr: string;
  readonly first: number;
  readonly last: number;
  /** `last - first + 1`. */
  readonly size: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The integer value of an IPv4 literal, or `undefined` when `text` is not one. */
export function ipv4ToInt(text: string): number | undefined {
  const m = IPV4.exec(text);
  if (m === null) return undefined;
  const octets = m.slice(1).map(Number);
  // Leading zeros read as octal in some parsers; refuse them rather than guess.
  if (octets.some((o, i) => o > 255 || (m[i + 1].length > 1 && m[i + 1][0] === "0"))) {
    return undefined;
  }
  return ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
}

/** The dotted-quad text of a 32-bit integer. */
export function intToIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

/**
 * Parses an IPv4 CIDR. The network and broadcast addresses are left out of
 * prefixes up to /30, as on any subnet; /31 and /32 use every address.
 * Throws a `TypeError` naming the value when it is not an IPv4 CIDR.
 *
 * @example
 * ```ts
 * import { parseAddressPool } from "./address_pool.ts";
 * const pool = parseAddressPool("127.32.0.0/24");
 * pool.size; // 254
 * ```
 */
export function parseAddressPool(cidr: string): AddressPool {
  const [address, prefixText, ...rest] = cidr.split("/");
  const base = ipv4ToInt(address ?? "");
  const prefix = /^\d{1,2}$/.test(prefixText ?? "") ? Number(prefixText) : NaN;
  if (rest.length > 0 || base === undefined || !(prefix >= 1 && prefix <= 32)) {
    throw new TypeError(
      `Cannot parse address pool: current value is "${cidr}" (expected an IPv4 CIDR such as 127.32.0.0/24)`,
    );
  }
  const hostBits = 32 - prefix;
  const mask = hostBits === 32 ? 0 : (0xffffffff << hostBits) >>> 0;
  const network = (base & mask) >>> 0;
  const broadcast = (network + 2 ** hostBits - 1) >>> 0;
  const edges = prefix <= 30 ? 1 : 0;
  const first = network + edges;
  const last = broadcast - edges;
  return Object.freeze({
    cidr: `${intToIpv4(network)}/${prefix}`,
    first,
    last,
    size: last - first + 1,
  });
}

/** Whether `address` (an IPv4 literal) is a usable address of `pool`. */
export function poolContains(pool: AddressPool, address: string): boolean {
  const value = ipv4ToInt(address);
  return value !== undefined && value >= pool.first && value <= pool.last;
}

/**
 * The pool's addresses in the order a Gateway named `key` tries them: a start
 * chosen by a hash of the key, then every following address, wrapping once.
 * The same key always gets the same sequence, so a Gateway's first choice
 * does not depend on the other Gateways, only on which addresses they hold.
 */
export function* candidateAddresses(pool: AddressPool, key: string): Generator<string> {
  const start = fnv1a(key) % pool.size;
  for (let i = 0; i < pool.size; i++) {
    yield intToIpv4(pool.first + ((start + i) % pool.size));
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
