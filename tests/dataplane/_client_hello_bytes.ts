/**
 * Hand-built ClientHello pieces for the scanner and reader tests, lengths
 * computed (so a test can corrupt one on purpose).
 * @module
 */

/** Big-endian 16-bit. */
export function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}
/** Big-endian 24-bit. */
export function u24(n: number): number[] {
  return [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

/** A server_name extension listing `[name_type, name]` entries. */
export function serverNameExtension(names: Array<[number, string]>): number[] {
  const list = names.flatMap(([type, name]) => {
    const bytes = [...new TextEncoder().encode(name)];
    return [type, ...u16(bytes.length), ...bytes];
  });
  const body = [...u16(list.length), ...list];
  return [...u16(0), ...u16(body.length), ...body];
}

/** A ClientHello body (TLS 1.3 suites, null compression); `null`: no extensions block. */
export function helloBody(extensions: number[] | null, sessionIdLength = 32): number[] {
  const suites = [0x13, 0x01, 0x13, 0x02];
  const body = [
    3,
    3,
    ...new Array(32).fill(7), // random
    sessionIdLength,
    ...new Array(sessionIdLength).fill(9),
    ...u16(suites.length),
    ...suites,
    1,
    0, // compression: null
  ];
  if (extensions !== null) body.push(...u16(extensions.length), ...extensions);
  return body;
}

/** Handshake message split into records of at most `recordSize` bytes. */
export function records(body: number[], recordSize = 16384): Uint8Array {
  const handshake = [1, ...u24(body.length), ...body];
  const out: number[] = [];
  for (let at = 0; at < handshake.length; at += recordSize) {
    const part = handshake.slice(at, at + recordSize);
    out.push(22, 3, 1, ...u16(part.length), ...part);
  }
  return new Uint8Array(out);
}

/** An empty GREASE extension. */
export const grease = [...u16(0x0a0a), ...u16(0)];
/** ALPN offering h2. */
export const alpn = [...u16(16), ...u16(5), ...u16(3), 2, 0x68, 0x32];
