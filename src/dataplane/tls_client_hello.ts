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
 * A hello with two server_name extensions or two host names is refused. The
 * verdict does not depend on how the bytes were cut into reads, and at most
 * {@linkcode MAX_FIRST_BYTES} are taken before one (`tests/fuzz/` holds the
 * fuzzer that checks all of this against a reference reading).
 * @module
 */

/** Record and handshake limits: a ClientHello is plaintext, at most 2^14 per record. */
const RECORD_HEADER = 5;
const MAX_RECORD_BODY = 16384;
const HANDSHAKE_HEADER = 4;
/** The most ClientHello bytes read before giving up (real ones are 0.2–2 KB; with PQ key shares ~1.8 KB). */
export const MAX_CLIENT_HELLO_BYTES = 32768;
/**
 * The most bytes a client may send before its ClientHello is whole: the
 * hello and 4 KB of record headers (5 bytes each) on top.
 */
export const MAX_FIRST_BYTES = MAX_CLIENT_HELLO_BYTES + 4096;

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
 * them, from the start) while the answer is `incomplete`; a reader that gets
 * them piece by piece uses a {@linkcode ClientHelloScanner} instead, which
 * looks at each byte once.
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
  return new ClientHelloScanner().push(bytes);
}

/**
 * Scans a client's first bytes as they arrive: each call to `push` takes
 * the bytes after those of the previous calls, and the work and memory are
 * linear in what was pushed (at most {@linkcode MAX_CLIENT_HELLO_BYTES} of
 * handshake is kept). Re-scanning everything on each read would cost a
 * client who sends one byte at a time quadratic time: ~20 s of CPU for
 * 37 KB was measured so.
 *
 * @example
 * ```ts
 * import { ClientHelloScanner } from "./tls_client_hello.ts";
 * declare const reads: Uint8Array[];
 * const scanner = new ClientHelloScanner();
 * for (const chunk of reads) {
 *   const scan = scanner.push(chunk);
 *   if (scan.state !== "incomplete") break;
 * }
 * ```
 */
export class ClientHelloScanner {
  /** The handshake message so far, from the records' bodies. */
  #handshake = new Uint8Array(0);
  #handshakeLength = 0;
  /** Handshake bytes of the whole message, once its header is in; -1 before. */
  #needed = -1;
  readonly #header = new Uint8Array(RECORD_HEADER);
  #headerLength = 0;
  /** Body bytes of the current record still to come (valid once its header is in). */
  #recordLeft = 0;
  /** Bytes of the records completed so far. */
  #consumed = 0;
  /** Bytes pushed so far. */
  #pushed = 0;
  #verdict: ClientHelloScan | undefined;

  /** Takes the next bytes; the verdict, which stays once it is not `incomplete`. */
  push(bytes: Uint8Array): ClientHelloScan {
    if (this.#verdict !== undefined) return this.#verdict;
    let at = 0;
    while (at < bytes.length) {
      if (this.#headerLength < RECORD_HEADER) {
        const take = Math.min(RECORD_HEADER - this.#headerLength, bytes.length - at);
        this.#header.set(bytes.subarray(at, at + take), this.#headerLength);
        this.#headerLength += take;
        at += take;
        if (this.#headerLength < RECORD_HEADER) break;
        const bad = this.#startRecord();
        if (bad !== undefined) return this.#verdict = bad;
        continue;
      }
      const take = Math.min(this.#recordLeft, bytes.length - at);
      this.#handshake.set(bytes.subarray(at, at + take), this.#handshakeLength);
      this.#handshakeLength += take;
      this.#recordLeft -= take;
      at += take;
      const bad = checkHandshakeHeader(this.#handshake, this.#handshakeLength);
      if (bad !== undefined) return this.#verdict = bad;
      if (this.#recordLeft > 0) break;
      const done = this.#endRecord();
      if (done !== undefined) return this.#verdict = done;
    }
    this.#pushed += bytes.length;
    return incompleteOrTooLong(this.#pushed);
  }

  /** Checks the record header just read and makes room for its body. */
  #startRecord(): ClientHelloScan | undefined {
    const [type, major, minor] = this.#header;
    const length = (this.#header[3] << 8) | this.#header[4];
    if (type !== CONTENT_HANDSHAKE) return invalid(`record type ${type} is not handshake`);
    if (major !== 3) return invalid(`record version ${major}.${minor} is not TLS`);
    if (length === 0 || length > MAX_RECORD_BODY) return invalid(`record length ${length}`);
    const size = this.#handshakeLength + length;
    if (size > MAX_CLIENT_HELLO_BYTES) {
      return invalid(`ClientHello longer than ${MAX_CLIENT_HELLO_BYTES} bytes`);
    }
    if (size > this.#handshake.length) {
      // Doubling keeps the copies linear; the cap keeps the bound.
      const grown = new Uint8Array(
        Math.min(MAX_CLIENT_HELLO_BYTES, Math.max(size, 2 * this.#handshake.length)),
      );
      grown.set(this.#handshake.subarray(0, this.#handshakeLength));
      this.#handshake = grown;
    }
    this.#recordLeft = length;
    return undefined;
  }

  /** A record is whole: the ClientHello's verdict when it is whole too. */
  #endRecord(): ClientHelloScan | undefined {
    this.#consumed += RECORD_HEADER + ((this.#header[3] << 8) | this.#header[4]);
    this.#headerLength = 0;
    if (this.#needed < 0 && this.#handshakeLength >= HANDSHAKE_HEADER) {
      this.#needed = HANDSHAKE_HEADER + readUint24(this.#handshake, 1);
    }
    if (this.#needed < 0 || this.#handshakeLength < this.#needed) return undefined;
    // The verdict must not depend on how the bytes were cut into reads: a
    // hello that ends past the bound is refused however it arrived.
    if (this.#consumed > MAX_FIRST_BYTES) {
      return invalid(`no ClientHello in the first ${MAX_FIRST_BYTES} bytes`);
    }
    const message = this.#handshake.subarray(HANDSHAKE_HEADER, this.#needed);
    const serverName = serverNameOf(message);
    if (typeof serverName !== "string") return serverName;
    return { state: "parsed", serverName, length: this.#consumed };
  }
}

/** The handshake header's verdict, as soon as the bytes that decide it are in. */
function checkHandshakeHeader(handshake: Uint8Array, have: number): ClientHelloScan | undefined {
  if (have < 1) return undefined;
  if (handshake[0] !== HANDSHAKE_CLIENT_HELLO) {
    return invalid(`handshake type ${handshake[0]} is not ClientHello`);
  }
  if (have < HANDSHAKE_HEADER) return undefined;
  const length = readUint24(handshake, 1);
  if (length + HANDSHAKE_HEADER > MAX_CLIENT_HELLO_BYTES) {
    return invalid(`ClientHello length ${length}`);
  }
  return undefined;
}

function incompleteOrTooLong(length: number): ClientHelloScan {
  if (length > MAX_FIRST_BYTES) return invalid(`no ClientHello in the first ${length} bytes`);
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
  // Every extension is walked: a second server_name (RFC 8446 §4.2 allows one
  // of a type) would let this parser and the TLS stack behind it read
  // different names, so it is refused, as is a malformed extension after it.
  let serverName: string | undefined;
  while (at + 4 <= end) {
    const type = (hello[at] << 8) | hello[at + 1];
    const length = (hello[at + 2] << 8) | hello[at + 3];
    at += 4;
    if (at + length > end) return invalid(`extension ${type} runs past the extensions`);
    if (type === EXTENSION_SERVER_NAME) {
      if (serverName !== undefined) return invalid("server_name extension sent twice");
      const name = hostNameOf(hello.subarray(at, at + length));
      if (typeof name !== "string") return name;
      serverName = name;
    }
    at += length;
  }
  if (at !== end) return invalid("extensions end inside an extension header");
  return serverName ?? "";
}

/** The host_name entry of a server_name extension body. */
function hostNameOf(extension: Uint8Array): string | ClientHelloScan {
  if (extension.length === 0) return ""; // the empty form servers send back
  if (extension.length < 2) return invalid("server_name extension too short");
  const end = 2 + ((extension[0] << 8) | extension[1]);
  if (end !== extension.length) return invalid("server_name list length mismatch");
  let at = 2;
  // RFC 6066 §3: at most one name of a type; two host_names are refused.
  let hostName: string | undefined;
  while (at + 3 <= end) {
    const type = extension[at];
    const length = (extension[at + 1] << 8) | extension[at + 2];
    at += 3;
    if (at + length > end) return invalid("server name runs past its list");
    if (type === NAME_TYPE_HOST_NAME) {
      if (hostName !== undefined) return invalid("server_name lists two host names");
      hostName = dnsNameOrEmpty(extension.subarray(at, at + length));
    }
    at += length;
  }
  if (at !== end) return invalid("server_name list ends inside an entry");
  return hostName ?? "";
}

/**
 * Lower case ASCII host name without a final dot (a fully qualified name is
 * the same host, for the routes of a TLS port as for `sni.ts`), or `""` for
 * what is not a DNS name (an IP address literal, bytes outside letters,
 * digits, `-`, `_` and `.`, an empty label): the TLS stack then selects as
 * if no name was sent.
 */
function dnsNameOrEmpty(name: Uint8Array): string {
  if (name.length === 0 || name.length > 254) return "";
  let text = "";
  for (const byte of name) {
    const ok = (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x41 && byte <= 0x5a) ||
      (byte >= 0x30 && byte <= 0x39) || byte === 0x2d || byte === 0x5f || byte === 0x2e;
    if (!ok) return "";
    text += String.fromCharCode(byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte);
  }
  if (text.endsWith(".")) text = text.slice(0, -1);
  if (text.length === 0 || text.length > 253) return "";
  if (/^[0-9.]+$/.test(text)) return ""; // IPv4 literal
  if (text.startsWith(".") || text.endsWith(".") || text.includes("..")) return "";
  return text;
}
