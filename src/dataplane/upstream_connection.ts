/**
 * One HTTP/1.1 connection to an upstream: a read buffer over a TCP socket,
 * head reading with a size limit, and the three body framings (length,
 * chunked, until close) as streams. While the connection sits idle in the
 * pool a read stays pending on it (on a libc socket, its reports reach a
 * callback instead), so an upstream that closes an idle connection is
 * noticed at once instead of on the next request.
 * @module
 */
import { type SendStall, sendWithin } from "./upstream_send_stall.ts";
import { UpstreamError } from "./upstream_types.ts";
import { findBlankLine, latin1 } from "./http1_bytes.ts";
import { readsDirectly, type SocketRead, socketReader } from "./socket_read.ts";
import { type SocketWriteNow, socketWriteNow } from "./socket_write.ts";
import { LibcConn } from "./libc_socket.ts";
import { RequestHeadScratch } from "./request_head_scratch.ts";

/** Largest response head accepted (status line and headers). */
export const MAX_HEAD_BYTES = 64 * 1024;
const INITIAL_BUFFER = 16 * 1024;
const DIRECT_READ = 64 * 1024;
const MAX_CHUNK_LINE = 4096;
/** Where a parked libc connection's stray byte goes: any byte while parked ends the connection. */
const IDLE_PROBE = new Uint8Array(1);

type State = "busy" | "idle" | "closed";

export { DEFAULT_UPSTREAM_SEND_TIMEOUT_MS, type SendStall } from "./upstream_send_stall.ts";

/** A pooled upstream connection. */
export class Http1Connection {
  readonly conn: Deno.TcpConn | Deno.TlsConn;
  /** Number of exchanges started on this connection. */
  uses = 0;
  /** `monotonicNow()` when it last became idle (`monotonic_clock.ts`). */
  idleSince = 0;
  /** The idle pool's key of its endpoint, set when it is parked. */
  poolKey = "";
  #state: State = "busy";
  #buf = new Uint8Array(INITIAL_BUFFER);
  #start = 0;
  #end = 0;
  #pending: Promise<number | null> | null = null;
  /** Where its request heads are written (`upstream_request_writer.ts`). */
  readonly heads = new RequestHeadScratch();
  /** Bytes after `#start` already scanned for the end of a head. */
  #scanned = 0;
  /**
   * End of a body lent by {@linkcode lendBuffered} (0: none): the first read
   * after the next park (its idle read, or on a libc socket the next
   * exchange's) goes after it, so the bytes stay as they were until a read
   * completes.
   */
  #lentEnd = 0;
  #onLost: ((c: Http1Connection) => void) | undefined;
  /** The bound of {@linkcode write}; absent: none. */
  sendStall: SendStall | undefined;
  /** Set when {@linkcode write} waited past the bound and closed the connection. */
  stalled: UpstreamError | undefined;
  /**
   * The socket's read without `Conn.read`'s wrapper (`socket_read.ts`): the
   * idle read of every park is one per request.
   */
  readonly #read: SocketRead;
  /**
   * The socket's write without `Conn.write`'s wrapper, its count at once
   * when the socket took the bytes at once (`socket_write.ts`): the request
   * head's one write per request. May write fewer bytes than given.
   */
  readonly send: SocketWriteNow;
  /** A direct read ends the stream with `0` instead of `null`. */
  readonly #zeroEnds: boolean;
  /**
   * The libc socket under the connection, whose reports reach a parked
   * connection through a callback (`LibcConn.onReadable`) instead of a
   * read left pending: no promise a park. `undefined` on Deno's sockets.
   */
  readonly #libc: LibcConn | undefined;

  constructor(conn: Deno.TcpConn | Deno.TlsConn) {
    this.conn = conn;
    this.#read = socketReader(conn);
    this.send = socketWriteNow(conn);
    this.#zeroEnds = readsDirectly(conn);
    if (conn instanceof LibcConn) {
      this.#libc = conn;
      conn.onReadable(this.#idleReadable);
    }
  }

  get closed(): boolean {
    return this.#state === "closed";
  }

  /** Bytes read but not consumed yet. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  close(): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    try {
      this.conn.close();
    } catch {
      // Already closed by the peer's reset: nothing left to release.
    }
  }

  /**
   * Parks the connection: keeps one read pending so a close or stray bytes
   * from the upstream call `onLost` while it is idle.
   */
  park(onLost: (c: Http1Connection) => void): void {
    this.#state = "idle";
    const from = this.#lentEnd;
    this.#start = this.#end = from;
    this.#scanned = 0;
    this.#onLost = onLost;
    if (this.#libc !== undefined) {
      // The next read goes after a lent body (`#readMore`); what is there already ends the connection now.
      this.#idleReadable();
      return;
    }
    this.#lentEnd = 0;
    const read = this.#read(from === 0 ? this.#buf : this.#buf.subarray(from));
    this.#pending = read;
    read.then(this.#idleReadDone, this.#idleReadDone);
  }

  /**
   * Any outcome of the idle read while still idle (EOF, reset, unsolicited
   * bytes) ends the connection. Made once per connection, not per park. A
   * claimed connection's next exchange takes that read over; this handler
   * was registered first, so it runs (and returns) before the exchange
   * resumes and could park the connection again.
   */
  readonly #idleReadDone = (): void => {
    if (this.#state !== "idle") return;
    this.#pending = null;
    this.close();
    this.#onLost?.(this);
  };

  /**
   * A report on a parked libc connection (or its close): bytes, the end or
   * an error end it, as the idle read's outcome does; a report that finds
   * nothing (spurious, or the connection busy again) changes nothing.
   */
  readonly #idleReadable = (): void => {
    if (this.#state !== "idle") return;
    let n: number | null | undefined;
    try {
      n = this.#libc!.readNow(IDLE_PROBE);
    } catch {
      n = null;
    }
    if (n === undefined) return;
    this.close();
    this.#onLost?.(this);
  };

  /** Takes the connection out of the pool for an exchange. */
  claim(): void {
    this.#state = "busy";
    this.uses++;
  }

  /**
   * Writes all of `data`. With a {@linkcode sendStall}, a write that takes no
   * byte within its bound (a backend that stopped reading, its socket
   * buffers full) closes the connection and fails with a timeout, which
   * {@linkcode stalled} keeps for whoever reads the connection next.
   */
  async write(data: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      const rest = offset === 0 ? data : data.subarray(offset);
      const stall = this.sendStall;
      offset += stall === undefined || stall.ms <= 0
        ? await this.send(rest)
        : await sendWithin(this, rest, stall);
    }
  }

  /** Reads more bytes into the buffer; `false` at end of stream. */
  async #fill(): Promise<boolean> {
    const n = await this.#readMore();
    if (this.#ended(n)) return false;
    this.#end += n;
    return true;
  }

  /**
   * Makes room at the end of the buffer and starts a read into it (or takes
   * the one left pending while the connection was idle). Not `async`: the
   * caller awaits the read itself, one promise fewer per read.
   */
  #readMore(): Promise<number | null> {
    const pending = this.#pending;
    if (pending !== null) {
      // The idle read, into the buffer where the park put `#end`.
      this.#pending = null;
      return pending;
    }
    if (this.#start === this.#end) {
      // After a park without a read pending, the first read goes after the body it lent.
      this.#start = this.#end = this.#lentEnd;
      this.#lentEnd = 0;
    } else if (this.#end === this.#buf.length) {
      if (this.#start > 0) {
        this.#buf.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      } else {
        const bigger = new Uint8Array(this.#buf.length * 2);
        bigger.set(this.#buf);
        this.#buf = bigger;
      }
    }
    return this.#read(this.#end === 0 ? this.#buf : this.#buf.subarray(this.#end));
  }

  /** Whether a read's result is the end of the stream (never an empty buffer's `0`: none is read into). */
  #ended(n: number | null): n is null | 0 {
    return n === null || (n === 0 && this.#zeroEnds);
  }

  /**
   * What `parse` makes of the response head in the buffer (`buf[start,
   * end)`, without the final empty line, so the head is never copied), or
   * `undefined` while the buffer holds no whole head: then `readMore()` and
   * `received()` add bytes and the scan goes on where it stopped. Not
   * `async`: a head that came in one read costs no promise of its own.
   * Throws when the head grows past {@linkcode MAX_HEAD_BYTES}.
   */
  bufferedHead<T>(parse: (buf: Uint8Array, start: number, end: number) => T): T | undefined {
    const buf = this.#buf;
    const start = this.#start;
    const end = this.#end;
    const i = findBlankLine(buf, start + this.#scanned, end);
    if (i !== -1 && i - start <= MAX_HEAD_BYTES) {
      this.#start = i + 4;
      this.#scanned = 0;
      return parse(buf, start, i);
    }
    if (end - start >= MAX_HEAD_BYTES) {
      throw new UpstreamError(
        "protocol",
        `Cannot read upstream response head: larger than ${MAX_HEAD_BYTES} bytes`,
      );
    }
    // The last three bytes may begin the empty line's CRLFCRLF: scan them again.
    this.#scanned = Math.max(0, end - start - 3);
    return undefined;
  }

  /**
   * Starts a read of more bytes into the buffer (or takes the one left
   * pending while the connection was idle); its result goes to
   * `received()`. Not `async`: the caller awaits the read itself.
   */
  readMore(): Promise<number | null> {
    return this.#readMore();
  }

  /**
   * Counts the `n` bytes a `readMore()` read; `false` when the stream ended
   * instead. Throws when it ended inside a head already begun.
   */
  received(n: number | null): boolean {
    if (!this.#ended(n)) {
      this.#end += n;
      return true;
    }
    if (this.#start === this.#end) return false;
    throw new UpstreamError("reset", "Upstream closed the connection inside a response head");
  }

  /**
   * Reads one response head and returns what `parse` makes of its bytes
   * (see `bufferedHead`). Returns `null` if the connection ended before any
   * byte.
   */
  async readHead<T>(parse: (buf: Uint8Array, start: number, end: number) => T): Promise<T | null> {
    for (;;) {
      const head = this.bufferedHead(parse);
      if (head !== undefined) return head;
      if (!this.received(await this.#readMore())) return null;
    }
  }

  /**
   * A copy of the next `length` bytes when they are all buffered already
   * (a small body that came with its head), else `undefined`: the common
   * case then costs no async step.
   */
  takeBuffered(length: number): Uint8Array | undefined {
    if (this.#end - this.#start < length) return undefined;
    const out = this.#buf.slice(this.#start, this.#start + length);
    this.#start += length;
    return out;
  }

  /**
   * The next `length` bytes as a view of the read buffer when they are all
   * buffered and end in its first half, else `undefined` (then
   * {@linkcode takeBuffered} copies them). The view holds those bytes until
   * a read of this connection completes, which is never before the event
   * loop's next turn: the first read after the next park goes after them. A fresh array costs
   * the runtime about half a microsecond whatever its size; a caller that
   * copies the bytes out in the turn it got them needs none.
   */
  lendBuffered(length: number): Uint8Array | undefined {
    const end = this.#start + length;
    if (this.#end < end || end * 2 > this.#buf.length) return undefined;
    const out = this.#buf.subarray(this.#start, end);
    this.#start = end;
    this.#lentEnd = end;
    return out;
  }

  /** Reads exactly `length` bytes into a new array. */
  async readExact(length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      if (this.#start === this.#end && !(await this.#fill())) {
        throw new UpstreamError("reset", "Upstream closed the connection inside a response body");
      }
      const n = Math.min(length - filled, this.#end - this.#start);
      out.set(this.#buf.subarray(this.#start, this.#start + n), filled);
      this.#start += n;
      filled += n;
    }
    return out;
  }

  /**
   * Up to `max` body bytes: buffered ones first (copied), else one read
   * straight into a fresh array. `null` at end of stream.
   */
  async readSome(max: number): Promise<Uint8Array | null> {
    if (this.#start < this.#end) {
      const n = Math.min(max, this.#end - this.#start);
      const out = this.#buf.slice(this.#start, this.#start + n);
      this.#start += n;
      return out;
    }
    const chunk = new Uint8Array(Math.min(max, DIRECT_READ));
    const n = await this.#read(chunk);
    if (this.#ended(n)) return null;
    return n === chunk.length ? chunk : chunk.subarray(0, n);
  }

  /** One CRLF-terminated line (chunk size or trailer), without the CRLF. */
  async readLine(): Promise<string> {
    let scanFrom = this.#start;
    for (;;) {
      const buf = this.#buf;
      for (let i = scanFrom; i + 1 < this.#end; i++) {
        if (buf[i] === 13 && buf[i + 1] === 10) {
          const line = latin1(buf, this.#start, i);
          this.#start = i + 2;
          return line;
        }
      }
      if (this.#end - this.#start > MAX_CHUNK_LINE) {
        throw new UpstreamError("protocol", "Cannot read upstream chunk header: line too long");
      }
      const offset = Math.max(0, this.#end - this.#start - 1);
      if (!(await this.#fill())) {
        throw new UpstreamError("reset", "Upstream closed the connection inside a chunked body");
      }
      scanFrom = this.#start + offset;
    }
  }
}
