/**
 * The read side of one HTTP/1.1 client connection: a buffer the request
 * heads are found in (bounded, so a head that never ends is a 431, not
 * memory), and reads of body bytes straight from it or from the socket.
 * Reading is pulled by the server, so a client that sends faster than we
 * forward waits in its own TCP window, not in our memory.
 * @module
 */
import { H1RequestError } from "./h1_request_head.ts";
import { readsDirectly, type SocketRead, socketReader } from "../socket_read.ts";
import { findBlankLine } from "../http1_bytes.ts";
import { LibcConn } from "../libc_socket.ts";

/** Bytes read from a connection and not yet consumed. */
export class H1Reader {
  buf: Uint8Array;
  start = 0;
  end = 0;
  /** How far the search for the end of a head got. */
  #scanned = 0;
  eof = false;
  /** Where the head being read (or last read) starts: its method's first byte. */
  headStart = 0;
  /** Index of the CRLF that ends the last field line (or the request line) of the head last taken. */
  headEnd = 0;

  readonly #read: SocketRead;
  /** A read of 0 bytes is the end (the runtime's own read); through `conn.read`, only `null` is. */
  readonly #zeroEnds: boolean;
  /** The libc socket under the connection, which {@linkcode readNow} reads; `undefined` on Deno's sockets. */
  readonly libc: LibcConn | undefined;

  constructor(readonly conn: Deno.Conn, readonly maxHeadBytes: number) {
    this.buf = new Uint8Array(Math.max(4096, Math.min(16 * 1024, maxHeadBytes + 4)));
    this.#read = socketReader(conn);
    this.#zeroEnds = readsDirectly(conn);
    this.libc = conn instanceof LibcConn ? conn : undefined;
  }

  /** Bytes buffered and not consumed. */
  buffered(): number {
    return this.end - this.start;
  }

  /** Whether a {@linkcode read} has room to read into (once moved to the front or grown). */
  hasRoom(): boolean {
    return this.end - this.start < Math.max(this.buf.length, this.maxHeadBytes + 4);
  }

  /**
   * Starts one read into the buffer's free space (moved to the front
   * first); hand what it resolves to {@linkcode filled}. Not `async`: the
   * caller awaits the socket's own promise, one promise fewer per read.
   */
  read(): Promise<number | null> {
    return this.#read(this.#room());
  }

  /**
   * One read into the buffer's free space on a libc socket
   * (`LibcConn.readNow`), only if it completes at once: what it gave, for
   * {@linkcode filled}, or `undefined` when the socket holds nothing now.
   * Throws the socket's error.
   */
  readNow(): number | null | undefined {
    return this.libc!.readNow(this.#room());
  }

  /** The buffer's free space, the unconsumed bytes moved to the front or the buffer grown first when it is full. */
  #room(): Uint8Array {
    if (this.start > 0 && (this.end === this.buf.length || this.start === this.end)) {
      this.buf.copyWithin(0, this.start, this.end);
      this.#scanned -= this.start;
      this.end -= this.start;
      this.start = 0;
    }
    if (this.end === this.buf.length) {
      const bigger = new Uint8Array(Math.min(this.buf.length * 2, this.maxHeadBytes + 4));
      bigger.set(this.buf.subarray(0, this.end));
      this.buf = bigger;
    }
    return this.end === 0 ? this.buf : this.buf.subarray(this.end);
  }

  /** Takes in what a {@linkcode read} gave; false at EOF. */
  filled(n: number | null): boolean {
    if (n === null || (n === 0 && this.#zeroEnds)) {
      this.eof = true;
      return false;
    }
    this.end += n;
    return true;
  }

  /** Reads once more into the buffer's free space; false at EOF. */
  async fill(): Promise<boolean> {
    return this.filled(await this.read());
  }

  /**
   * Reads until the buffered bytes hold all of `prefix` or differ from it:
   * true when they begin with it, false when not (or the stream ended
   * after a part of it), `undefined` when it ended before any byte.
   */
  async startsWith(prefix: Uint8Array): Promise<boolean | undefined> {
    for (;;) {
      if (!await this.fill()) return this.buffered() > 0 ? false : undefined;
      const n = Math.min(this.buffered(), prefix.length);
      for (let i = 0; i < n; i++) if (this.buf[this.start + i] !== prefix[i]) return false;
      if (n === prefix.length) return true;
    }
  }

  /** Starts looking for the next request head (from the first unconsumed byte). */
  beginHead(): void {
    this.#scanned = this.start;
  }

  /**
   * Takes the next request head when the buffer holds all of it: true with
   * `headStart` and `headEnd` set and the head (its blank line too)
   * consumed; false when more bytes are needed. Empty lines before a
   * request line are skipped (RFC 9112 §2.2). Throws 431 past
   * `maxHeadBytes`. A head that came whole in one read, the common case,
   * costs no promise.
   */
  takeHead(): boolean {
    while (
      this.end - this.start >= 2 && this.buf[this.start] === 13 && this.buf[this.start + 1] === 10
    ) {
      this.start += 2;
      this.#scanned = this.start;
    }
    this.headStart = this.start;
    const at = this.#findBlankLine();
    if (at !== -1) {
      this.headEnd = at;
      this.start = at + 4;
      return true;
    }
    if (this.end - this.start >= this.maxHeadBytes) {
      throw new H1RequestError(431, `Request head is longer than ${this.maxHeadBytes} bytes`);
    }
    return false;
  }

  /** Index of CRLFCRLF in the unconsumed bytes (searched once), or -1. */
  #findBlankLine(): number {
    const limit = Math.min(this.end, this.start + this.maxHeadBytes + 4);
    const at = findBlankLine(this.buf, Math.max(this.start, this.#scanned - 3), limit);
    if (at === -1) this.#scanned = limit;
    return at;
  }

  /**
   * Up to `max` body bytes: from the buffer when it holds some, else one
   * read from the socket into a fresh array. `null` at EOF.
   */
  async readSome(max: number): Promise<Uint8Array | null> {
    if (this.end > this.start) {
      const n = Math.min(max, this.end - this.start);
      const out = this.buf.slice(this.start, this.start + n);
      this.start += n;
      return out;
    }
    const out = new Uint8Array(Math.min(max, 64 * 1024));
    const n = await this.#read(out);
    if (n === null || (n === 0 && this.#zeroEnds)) {
      this.eof = true;
      return null;
    }
    return n === out.length ? out : out.subarray(0, n);
  }

  /** Ensures at least `count` unconsumed bytes are buffered (count ≤ buffer size); false at EOF. */
  async want(count: number): Promise<boolean> {
    while (this.end - this.start < count) {
      if (this.start > 0) {
        this.buf.copyWithin(0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      }
      if (!await this.fill()) return false;
    }
    return true;
  }
}
