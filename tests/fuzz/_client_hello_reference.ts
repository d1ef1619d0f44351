/**
 * A reference reading of a client's first bytes for the ClientHello fuzzer,
 * written apart from the gateway's scanner (a cursor that throws at the end
 * of its bytes instead of checked offsets): given everything a client sent,
 * the server name of its ClientHello, or `undefined` when those bytes hold
 * no acceptable one. The rules are RFC 8446 §4.1.2/§5.1 and RFC 6066 §3 with
 * the gateway's documented limits:
 *
 * - records of type handshake, version 3.x, body 1..16384 bytes, until the
 *   ClientHello is whole; bodies taken together at most 32768 bytes, and the
 *   records holding it within the first 32768 + 4096 bytes;
 * - a ClientHello of at most 32768 bytes with its header; the bytes after
 *   its extensions block are not looked at;
 * - at most one server_name extension, and in it at most one host_name; a
 *   name is lower case without a final dot; one outside letters, digits,
 *   `-`, `_` and `.` (or an IPv4 literal, or with an empty label) is no name
 *   (`""`), as is no extension at all.
 * @module
 */

const MAX_HELLO = 32768;
const MAX_RECORDS = MAX_HELLO + 4096;

class End extends Error {}

class Cursor {
  at = 0;
  constructor(readonly bytes: Uint8Array, readonly end = bytes.length) {}
  u8(): number {
    if (this.at + 1 > this.end) throw new End();
    return this.bytes[this.at++];
  }
  u16(): number {
    return this.u8() * 256 + this.u8();
  }
  u24(): number {
    return this.u8() * 65536 + this.u16();
  }
  take(n: number): Cursor {
    if (this.at + n > this.end) throw new End();
    const inner = new Cursor(this.bytes.subarray(this.at, this.at + n));
    this.at += n;
    return inner;
  }
  get left(): number {
    return this.end - this.at;
  }
}

/** The server name of the ClientHello in `input`, or `undefined` for none. */
export function referenceServerName(input: Uint8Array): string | undefined {
  try {
    const message = reassemble(input);
    return message === undefined ? undefined : helloServerName(message);
  } catch (error) {
    if (error instanceof End) return undefined;
    throw error;
  }
}

/** The handshake message (header included) from the records, or `undefined`. */
function reassemble(input: Uint8Array): Cursor | undefined {
  const records = new Cursor(input);
  const body: number[] = [];
  while (true) {
    if (body.length >= 4 && body.length >= 4 + ((body[1] << 16) | (body[2] << 8) | body[3])) break;
    if (records.u8() !== 22) return undefined;
    if (records.u8() !== 3) return undefined;
    records.u8();
    const length = records.u16();
    if (length < 1 || length > 16384) return undefined;
    const fragment = records.take(length);
    if (body.length + length > MAX_HELLO) return undefined;
    for (let i = 0; i < length; i++) body.push(fragment.u8());
    if (body[0] !== 1) return undefined;
  }
  if (records.at > MAX_RECORDS) return undefined;
  const message = new Cursor(new Uint8Array(body));
  message.u8();
  const length = message.u24();
  if (length + 4 > MAX_HELLO) return undefined;
  return message.take(length);
}

function helloServerName(hello: Cursor): string | undefined {
  hello.take(2 + 32);
  hello.take(hello.u8());
  const suites = hello.u16();
  if (suites === 0 || suites % 2 === 1) return undefined;
  hello.take(suites);
  hello.take(hello.u8());
  if (hello.left === 0) return "";
  const extensions = hello.take(hello.u16());
  let name: string | undefined;
  let seen = false;
  while (extensions.left > 0) {
    const type = extensions.u16();
    const body = extensions.take(extensions.u16());
    if (type !== 0) continue;
    if (seen) return undefined;
    seen = true;
    name = serverNameOf(body);
    if (name === undefined) return undefined;
  }
  return name ?? "";
}

function serverNameOf(extension: Cursor): string | undefined {
  if (extension.left === 0) return "";
  const list = extension.take(extension.u16());
  if (extension.left !== 0) return undefined;
  let name: string | undefined;
  while (list.left > 0) {
    const type = list.u8();
    const entry = list.take(list.u16());
    if (type !== 0) continue;
    if (name !== undefined) return undefined;
    name = dnsName(entry.bytes);
  }
  return name ?? "";
}

function dnsName(bytes: Uint8Array): string {
  const text = String.fromCharCode(...bytes).replace(/\.$/, "");
  if (text.length === 0 || text.length > 253) return "";
  if (!/^[A-Za-z0-9_.-]+$/.test(text) || /^[0-9.]+$/.test(text)) return "";
  if (text.split(".").some((label) => label === "")) return "";
  return text.toLowerCase();
}
