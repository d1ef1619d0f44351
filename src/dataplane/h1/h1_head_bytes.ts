/**
 * A response head written straight into bytes, for our HTTP/1.1 server:
 * each line goes into a buffer taken from a small pool shared by every
 * connection and given back once the write that sends it completed, so an
 * answer costs no head string, no encoding of it into a new array, and no
 * copy to join head and body. The bytes are the ones `TextEncoder` makes of
 * the same text (UTF-8, one byte per character below 128), so what a client
 * receives does not change.
 *
 * @example
 * ```ts
 * import { HeadBytes } from "./h1_head_bytes.ts";
 * const head = new HeadBytes();
 * head.begin(200);
 * head.field("content-length", "2");
 * head.end();
 * head.append(new TextEncoder().encode("ok"));
 * const bytes = head.bytes(); // "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
 * head.release();
 * ```
 * @module
 */
import { STATUS_TEXT } from "@std/http";
import { httpDate } from "../http_date.ts";
import { copyFieldLine } from "../http1_bytes.ts";
import { LeadingView } from "../leading_view.ts";

const encoder = new TextEncoder();

/** Size of a pooled buffer: a usual head and a small body fit in one. */
const POOLED_BYTES = 8 * 1024;
/** Buffers kept between writes (more are made when writes pile up, and dropped after). */
const POOL_SIZE = 32;
const pool: Uint8Array[] = [];
/** What a writer holds between answers (a typed array costs as much to make as a pooled one). */
const NONE = new Uint8Array(0);

/** Status lines, made on a status's first answer (three digits: at most 900). */
const statusLines: (Uint8Array | undefined)[] = [];

function statusLine(status: number): Uint8Array {
  let line = statusLines[status];
  if (line === undefined) {
    line = encoder.encode(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status as keyof typeof STATUS_TEXT] ?? ""}\r\n`,
    );
    if (status >= 100 && status <= 999) statusLines[status] = line;
  }
  return line;
}

let dateText = "";
let dateLine = new Uint8Array(0);

/**
 * The `date` field line of this second (encoded once per second, not per
 * answer): the same array all through the second.
 */
export function dateField(): Uint8Array {
  const text = httpDate();
  if (text !== dateText) {
    dateText = text;
    dateLine = encoder.encode(`date: ${text}\r\n`);
  }
  return dateLine;
}

/**
 * Writes `text` at `at` as UTF-8; the next position, or -1 when it does
 * not fit. Characters below 128 (nearly every head) are copied one by one.
 */
function putText(buf: Uint8Array, at: number, text: string): number {
  const n = text.length;
  if (at + n > buf.length) return -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128) {
      const rest = i === 0 ? text : text.slice(i);
      const { read, written } = encoder.encodeInto(rest, buf.subarray(at));
      return read < rest.length ? -1 : at + written;
    }
    buf[at++] = c;
  }
  return at;
}

/** `name: ` as bytes, for {@linkcode HeadBytes.prefixedField}. */
export function fieldPrefix(name: string): Uint8Array {
  return encoder.encode(`${name}: `);
}

/** One answer's bytes being built: a head, then maybe a body after it. */
export class HeadBytes {
  #buf: Uint8Array = NONE;
  /** The last view {@linkcode bytes} gave. */
  readonly #lead = new LeadingView();
  #pooled: Uint8Array | undefined;
  #at = 0;

  /** Starts a head with the status line of `status`, in a pooled buffer. */
  begin(status: number): void {
    this.beginWith(statusLine(status));
  }

  /** Starts a head with `bytes` (a status line and more), in a pooled buffer. */
  beginWith(bytes: Uint8Array): void {
    this.#pooled = pool.pop() ?? new Uint8Array(POOLED_BYTES);
    this.#buf = this.#pooled;
    this.#at = 0;
    this.#raw(bytes);
  }

  /** What was written so far, as a copy of its own. */
  copy(): Uint8Array {
    return this.#buf.slice(0, this.#at);
  }

  /** Adds `name: value`. */
  field(name: string, value: string): void {
    this.#text(name);
    this.#room(2);
    this.#buf[this.#at++] = 58; // :
    this.#buf[this.#at++] = 32;
    this.#text(value);
    this.#crlf();
  }

  /**
   * Adds a field whose `name: ` is given as bytes ({@linkcode fieldPrefix}):
   * for the names this server adds to every answer, a copy of their bytes
   * costs less than writing their characters.
   */
  prefixedField(prefix: Uint8Array, value: string): void {
    this.#raw(prefix);
    this.#text(value);
    this.#crlf();
  }

  /**
   * Adds a field whose `name: ` is given as bytes and whose value is the
   * integer `n`, spelled as `String(n)` spells it: a length below 2^31 (every
   * answer's, in practice) is written digit by digit, with no string made of it.
   */
  prefixedNumber(prefix: Uint8Array, n: number): void {
    if (!(n >= 0 && (n | 0) === n)) return this.prefixedField(prefix, String(n));
    this.#raw(prefix);
    // At most 10 digits, then CRLF.
    this.#room(12);
    const buf = this.#buf;
    let x = n | 0;
    let digits = 1;
    for (let rest = x; rest >= 10; rest = (rest / 10) | 0) digits++;
    const at = this.#at + digits;
    for (let i = at - 1; i >= this.#at; i--) {
      const q = (x / 10) | 0;
      buf[i] = 48 + x - q * 10;
      x = q;
    }
    buf[at] = 13;
    buf[at + 1] = 10;
    this.#at = at + 2;
  }

  /**
   * Adds the field line whose name is `buf[nameStart, nameEnd)` (lower-cased
   * here) and value `buf[from, to)`, copied as the bytes are: a field passed
   * on from the head it came in, without a string of it.
   */
  fieldBytes(buf: Uint8Array, nameStart: number, nameEnd: number, from: number, to: number): void {
    this.#room(nameEnd - nameStart + to - from + 4);
    this.#at = copyFieldLine(this.#buf, this.#at, buf, nameStart, nameEnd, from, to);
  }

  /** Adds the `date` field of the current second. */
  date(): void {
    this.#raw(dateField());
  }

  /** Ends the head with its empty line. */
  end(): void {
    this.#crlf();
  }

  /** Adds `bytes` after what is written (a body sent with its head). */
  append(bytes: Uint8Array): void {
    this.#raw(bytes);
  }

  /**
   * What was written, as a view to hand to one write. The view of the last
   * answer serves again when this one is as long and in the same buffer (a
   * backend's answers to the same request usually are): a new view costs
   * the runtime a typed array's making, and the bytes it shows are the
   * buffer's either way.
   */
  bytes(): Uint8Array {
    return this.#lead.of(this.#buf, this.#at);
  }

  /** Gives the pooled buffer back: call once the write of {@linkcode bytes} completed. */
  release(): void {
    const pooled = this.#pooled;
    this.#pooled = undefined;
    this.#buf = NONE;
    if (pooled !== undefined && pool.length < POOL_SIZE) {
      pool.push(pooled);
      // A view is kept only of a buffer the pool keeps: an idle connection holds no buffer of its own.
      if (this.#lead.isOf(pooled)) return;
    }
    this.#lead.forget();
  }

  #crlf(): void {
    this.#room(2);
    this.#buf[this.#at++] = 13;
    this.#buf[this.#at++] = 10;
  }

  #text(text: string): void {
    let next = putText(this.#buf, this.#at, text);
    if (next === -1) {
      this.#room(text.length * 3);
      next = putText(this.#buf, this.#at, text);
    }
    this.#at = next;
  }

  #raw(bytes: Uint8Array): void {
    this.#room(bytes.length);
    this.#buf.set(bytes, this.#at);
    this.#at += bytes.length;
  }

  /** Makes room for `n` more bytes: a larger array of its own (the pooled one goes back later). */
  #room(n: number): void {
    if (this.#at + n <= this.#buf.length) return;
    const bigger = new Uint8Array(Math.max(this.#buf.length * 2, this.#at + n));
    bigger.set(this.#buf.subarray(0, this.#at));
    this.#buf = bigger;
  }
}
