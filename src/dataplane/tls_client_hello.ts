/**
 * Reads the server name (SNI, RFC 6066 §3) from the first bytes a TLS client
 * sends, before any TLS library sees them. Deno 2.9.6 never tells a server
 * which name a connection asked for (`tls_server.ts`), so the HTTPS port reads
 * it here and then hands the same bytes to the TLS stack.
 *
 * Only what is needed is checked: TLS records of type handshake (RFC 8446
 * §5.1) carrying one ClientHello (§4.1.2), possibly fragmented over several
 * records; inside it the session id, cipher suites and compression methods
 * are skipped by their lengths and the extensions walked for `server_name`.
 * Every length is checked against what is left, so truncated or hostile input
 * gives `invalid` or `incomplete`, never an exception or a read past the end.
 * @module
 */

/** Record and handshake limits: a ClientHello is plaintext, at most 2^14 per record. */
const RECORD_HEADER = 5;
const MAX_RECORD_BODY = 16384;
const HANDSHAKE_HEADER = 4;
/** The most ClientHello bytes read before giving up (real ones are 0.2–2 KB; with PQ key shares ~1.8 KB). */
export const MAX_CLIENT_HELLO_BYTES = 32768;

const CONTENT_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const EXTENSION_SERVER_NAME = 0;
const NAME_TYPE_HOST_NAME = 0;

/** The outcome of {@linkcode scanClientHello}. */
export type ClientHelloScan =
  /** More bytes are needed (none of what arrived contradicts a ClientHello). */
  | { state: "incomplete" }
  /**
   * A whole ClientHello: `serverName` is the host name it asked for, lower
   * case, or `""` when it sent none (or one that is not a DNS name, such as an
   * IP address, which TLS servers treat as no name). `length` is the number of
   * bytes the records holding it took.
   */
  | { state: "parsed"; serverName: string; length: number }
  /** Not a TLS ClientHello, or a malformed one. */
  | { state: "invalid"; reason: string };

/**
 * Scans the bytes a client sent first. Call again with more bytes (all of
 * them, from the start) while the answer is `incomplete`.
 *
 * @example
 * ```ts
 * import { scanClientHello } from "./tls_client_hello.ts";
 * declare const firstBytes: Uint8Array;
 * const scan = scanClientHello(firstBytes);
 * if (scan.state === "parsed") console.log(scan.serverName); // "a.example.com"
 * ```
 */
export function scanClientHello(bytes: Uint8Array): ClientHelloScan {
  // Reassembles the handshake message from the records' bodies.
  const handshake = new Uint8Array(Math.min(bytes.length, MAX_CLIENT_HELLO_BYTES));
  let handshakeLength = 0;
  let offset = 0;
  let needed = -1; // handshake bytes of the whole message, once its header is in
  while (true) {
    if (needed >= 0 && handshakeLength >= needed) break;
    if (offset + RECORD_HEADER > bytes.length) return incompleteOrTooLong(bytes.length);
    const type = bytes[offset];
    const major = bytes[offset + 1];
    const length = (bytes[offset + 3] << 8) | bytes[offset + 4];
    if (type !== CONTENT_HANDSHAKE) return invalid(`record type ${type} is not handshake`);
    if (major !== 3) return invalid(`record version ${major}.${bytes[offset + 2]} is not TLS`);
    if (length === 0 || length > MAX_RECORD_BODY) return invalid(`record length ${length}`);
    const bodyStart = offset + RECORD_HEADER;
    if (bodyStart + length > bytes.length) {
      // Whatever part of the body already arrived may already prove it invalid.
      const partial = bytes.subarray(bodyStart);
      const early = checkHandshakeHeader(handshake, handshakeLength, partial);
      if (early !== undefined) return early;
      return incompleteOrTooLong(bytes.length);
    }
    const body = bytes.subarray(bodyStart, bodyStart + length);
    if (handshakeLength + body.length > handshake.length) {
      return invalid(`ClientHello longer than ${MAX_CLIENT_HELLO_BYTES} bytes`);
    }
    handshake.set(body, handshakeLength);
    handshakeLength += body.length;
    offset = bodyStart + length;
    if (needed < 0 && handshakeLength >= HANDSHAKE_HEADER) {
      const header = checkHandshakeHeader(handshake, handshakeLength, new Uint8Array(0));
      if (header !== undefined) return header;
      needed = HANDSHAKE_HEADER + readUint24(handshake, 1);
    }
  }
  const message = handshake.subarray(HANDSHAKE_HEADER, needed);
  const serverName = serverNameOf(message);
  if (typeof serverName !== "string") return serverName;
  return { state: "parsed", serverName, length: offset };
}

function checkHandshakeHeader(
  handshake: Uint8Array,
  have: number,
  more: Uint8Array,
): ClientHelloScan | undefined {
  const at = (i: number) => i < have ? handshake[i] : more[i - have];
  if (have + more.length < 1) return undefined;
  if (at(0) !== HANDSHAKE_CLIENT_HELLO) {
    return invalid(`handshake type ${at(0)} is not ClientHello`);
  }
  if (have + more.length < HANDSHAKE_HEADER) return undefined;
  const length = (at(1) << 16) | (at(2) << 8) | at(3);
  if (length + HANDSHAKE_HEADER > MAX_CLIENT_HELLO_BYTES) {
    return invalid(`ClientHello length ${length}`);
  }
  return undefined;
}

function incompleteOrTooLong(length: number): ClientHelloScan {
  // Record headers add 5 bytes per record; allow them on top of the message.
  if (length > MAX_CLIENT_HELLO_BYTES + 4 * 1024) {
    return invalid(`no ClientHello in the first ${length} bytes`);
  }
  return { state: "incomplete" };
}

function invalid(reason: string): ClientHelloScan {
  return { state: "invalid", reason };
}

function readUint24(bytes: Uint8Array, at: number): number {
  return (bytes[at] << 16) | (bytes[at + 1] << 8) | bytes[at + 2];
}

/** The server name of a ClientHello body (after the handshake header). */
function serverNameOf(hello: Uint8Array): string | ClientHelloScan {
  let at = 2 + 32; // legacy_version, random
  if (at + 1 > hello.length) return invalid("ClientHello ends in its random");
  at += 1 + hello[at]; // legacy_session_id
  if (at + 2 > hello.length) return invalid("ClientHello ends in its session id");
  const suites = (hello[at] << 8) | hello[at + 1];
  if (suites === 0 || suites % 2 !== 0) return invalid(`cipher suites length ${suites}`);
  at += 2 + suites;
  if (at + 1 > hello.length) return invalid("ClientHello ends in its cipher suites");
  at += 1 + hello[at]; // legacy_compression_methods
  if (at > hello.length) return invalid("ClientHello ends in its compression methods");
  if (at === hello.length) return ""; // no extensions at all
  if (at + 2 > hello.length) return invalid("ClientHello ends in its extensions length");
  const end = at + 2 + ((hello[at] << 8) | hello[at + 1]);
  if (end > hello.length) return invalid("extensions run past the ClientHello");
  at += 2;
  while (at + 4 <= end) {
    const type = (hello[at] << 8) | hello[at + 1];
    const length = (hello[at + 2] << 8) | hello[at + 3];
    at += 4;
    if (at + length > end) return invalid(`extension ${type} runs past the extensions`);
    if (type === EXTENSION_SERVER_NAME) return hostNameOf(hello.subarray(at, at + length));
    at += length;
  }
  if (at !== end) return invalid("extensions end inside an extension header");
  return "";
}

/** The host_name entry of a server_name extension body. */
function hostNameOf(extension: Uint8Array): string | ClientHelloScan {
  if (extension.length === 0) return ""; // the empty form servers send back
  if (extension.length < 2) return invalid("server_name extension too short");
  const end = 2 + ((extension[0] << 8) | extension[1]);
  if (end !== extension.length) return invalid("server_name list length mismatch");
  let at = 2;
  while (at + 3 <= end) {
    const type = extension[at];
    const length = (extension[at + 1] << 8) | extension[at + 2];
    at += 3;
    if (at + length > end) return invalid("server name runs past its list");
    if (type === NAME_TYPE_HOST_NAME) return dnsNameOrEmpty(extension.subarray(at, at + length));
    at += length;
  }
  if (at !== end) return invalid("server_name list ends inside an entry");
  return "";
}

/**
 * Lower case ASCII host name, or `""` for what is not a DNS name (an IP
 * address literal, bytes outside letters, digits, `-`, `_` and `.`): the TLS
 * stack then selects as if no name was sent.
 */
function dnsNameOrEmpty(name: Uint8Array): string {
  if (name.length === 0 || name.length > 253) return "";
  let text = "";
  for (const byte of name) {
    const ok = (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x41 && byte <= 0x5a) ||
      (byte >= 0x30 && byte <= 0x39) || byte === 0x2d || byte === 0x5f || byte === 0x2e;
    if (!ok) return "";
    text += String.fromCharCode(byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte);
  }
  if (/^[0-9.]+$/.test(text)) return ""; // IPv4 literal
  if (text.startsWith(".") || text.includes("..")) return "";
  return text;
}
