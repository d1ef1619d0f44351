/**
 * `struct sockaddr_in` and `sockaddr_in6` to and from the `Deno.NetAddr`
 * the data plane reads, for the libc socket layer. Only IP literals: a
 * hostname needs a resolver, and a caller given one keeps Deno's sockets.
 * Addresses are spelled as Deno's sockets spell them (IPv6 compressed as
 * RFC 5952 says, an IPv4-mapped address as `::ffff:a.b.c.d`).
 *
 * @example
 * ```ts
 * import { readSockaddr, sockaddrOf } from "./libc_sockaddr.ts";
 * const addr = sockaddrOf("127.0.0.1", 8080);
 * if (addr !== undefined) console.log(readSockaddr(addr)); // { transport: "tcp", hostname: "127.0.0.1", port: 8080 }
 * ```
 * @module
 */
import { AF_INET, AF_INET6 } from "./libc_net.ts";

/** Room for either kind of address. */
export const SOCKADDR_BYTES = 28;

/** The bytes of an IPv4 literal, or `undefined`. */
function ipv4Bytes(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return undefined;
    bytes.push(Number(part));
  }
  return bytes;
}

/** The 16 bytes of an IPv6 literal (with or without brackets), or `undefined`. */
function ipv6Bytes(text: string): number[] | undefined {
  if (text.startsWith("[") && text.endsWith("]")) text = text.slice(1, -1);
  if (!text.includes(":")) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string): number[] | undefined => {
    if (half === "") return [];
    const out: number[] = [];
    const parts = half.split(":");
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (i === parts.length - 1 && part.includes(".")) {
        const v4 = ipv4Bytes(part);
        if (v4 === undefined) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) out.push(parseInt(part, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return all.flatMap((group) => [group >> 8, group & 0xff]);
}

/** A sockaddr for `hostname` (an IP literal) and `port`, or `undefined` for a name. */
export function sockaddrOf(hostname: string, port: number): Uint8Array | undefined {
  const v4 = ipv4Bytes(hostname);
  if (v4 !== undefined) {
    const addr = new Uint8Array(16);
    new DataView(addr.buffer).setUint16(0, AF_INET, true);
    new DataView(addr.buffer).setUint16(2, port, false);
    addr.set(v4, 4);
    return addr;
  }
  const v6 = ipv6Bytes(hostname);
  if (v6 === undefined) return undefined;
  const addr = new Uint8Array(28);
  new DataView(addr.buffer).setUint16(0, AF_INET6, true);
  new DataView(addr.buffer).setUint16(2, port, false);
  addr.set(v6, 8);
  return addr;
}

/** The address family of a sockaddr from {@linkcode sockaddrOf}. */
export function familyOf(addr: Uint8Array): number {
  return addr[0] | (addr[1] << 8);
}

/** The `Deno.NetAddr` a sockaddr names. */
export function readSockaddr(addr: Uint8Array): Deno.NetAddr {
  const view = new DataView(addr.buffer, addr.byteOffset, addr.byteLength);
  const port = view.getUint16(2, false);
  if (view.getUint16(0, true) === AF_INET) {
    return { transport: "tcp", hostname: addr.subarray(4, 8).join("."), port };
  }
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(view.getUint16(8 + 2 * i, false));
  return { transport: "tcp", hostname: ipv6Text(groups), port };
}

/** RFC 5952 text of eight groups: the longest run of two or more zero groups (the first) as `::`. */
function ipv6Text(groups: number[]): string {
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${groups[6] >> 8}.${groups[6] & 0xff}.${groups[7] >> 8}.${groups[7] & 0xff}`;
  }
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best === -1) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLength).join(":")}`;
}
