/**
 * A request's header fields as places in the bytes its head was read into,
 * read like `Headers` (`field_headers.ts`): our HTTP/1.1 server's fast path
 * hands the handler this instead of a string of every field. A string is
 * made only of what a decision reads (`get` of a routing or CORS field, a
 * field a route's modifier changes); the fields passed on to the backend
 * are copied from the bytes (`forwarded_fields.ts`).
 *
 * The bytes are the client connection's read buffer, which the server reads
 * into again once the handler's call returns: the server then calls
 * {@linkcode HeadFields.release}, and a later read throws instead of giving
 * another request's bytes.
 *
 * @example
 * ```ts
 * import { HeadFields } from "./head_fields.ts";
 * const bytes = new TextEncoder().encode("X-A: 1\r\nx-a: 2");
 * const fields = new HeadFields(bytes);
 * fields.add(0, 3, 5, 6, null);
 * fields.add(8, 11, 13, 14, null);
 * fields.get("x-a"); // "1, 2"
 * ```
 * @module
 */
import type { HeaderLookup } from "../router/router.ts";
import { FieldHeaders } from "./field_headers.ts";
import { latin1 } from "./http1_bytes.ts";

/**
 * The bytes last written of some fields (`kept`, by index) of heads with
 * the same bytes (`forwarded_fields.ts`): the same fields of the same bytes
 * are the same lines.
 */
export interface WrittenLines {
  kept: number[];
  bytes: Uint8Array;
}

/** Header fields of one head, as places in its bytes. */
export class HeadFields implements HeaderLookup {
  #buf: Uint8Array | undefined;
  /**
   * Four numbers a field, in the order sent: where its name starts, where
   * it ends (the colon), where its value starts and ends (without the
   * whitespace around it).
   */
  readonly places: number[];
  /** Each field's name when it is a known one (a shared lower-case string), else `null`. */
  readonly known: (string | null)[];
  /** The `Host` field's value (one at most: the parser refuses two), or `null`. */
  host: string | null = null;
  /**
   * Whether a field may be `Content-Type`: one added under that known name,
   * or an unnamed one of its length. False lets the fast path's gRPC check
   * (`grpc_status.ts`) skip the lookup a request without one would cost.
   */
  mayBeTyped = false;
  #pairs: [string, string][] | undefined;

  /**
   * Fields of the head in `buf`, none yet; or, given `places` and `known`,
   * the fields a head with the same bytes at those places was read into
   * (its lists shared: no field is added to a head once read).
   */
  constructor(
    buf: Uint8Array,
    places: number[] = [],
    known: (string | null)[] = [],
    /** Shared by the heads read from a memo's same bytes: what was written of their fields. */
    readonly written?: WrittenLines,
  ) {
    this.#buf = buf;
    this.places = places;
    this.known = known;
  }

  /** The bytes the places point into; throws once released. */
  get buf(): Uint8Array {
    const buf = this.#buf;
    if (buf === undefined) {
      throw new TypeError("Cannot read request header fields: their head's buffer was reused");
    }
    return buf;
  }

  /** Number of fields. */
  get count(): number {
    return this.known.length;
  }

  /** Adds a field (`known`: its name when a known one). */
  add(nameStart: number, nameEnd: number, from: number, to: number, known: string | null): void {
    this.places.push(nameStart, nameEnd, from, to);
    this.known.push(known);
    if (known === "content-type" || (known === null && nameEnd - nameStart === 12)) {
      this.mayBeTyped = true;
    }
  }

  /** Field `i`'s name, lower-cased. */
  name(i: number): string {
    const known = this.known[i];
    if (known !== null) return known;
    const p = this.places;
    return latin1(this.buf, p[4 * i], p[4 * i + 1]).toLowerCase();
  }

  /** Field `i`'s value (the Host field's as {@linkcode replaceHost} may have set it). */
  value(i: number): string {
    if (this.known[i] === "host" && this.host !== null) return this.host;
    const p = this.places;
    return latin1(this.buf, p[4 * i + 2], p[4 * i + 3]);
  }

  /** Whether field `i`'s name is `lower` (a lower-case name), compared on the bytes. */
  isNamed(i: number, lower: string): boolean {
    const known = this.known[i];
    if (known !== null) return known === lower;
    const p = this.places;
    const start = p[4 * i];
    if (p[4 * i + 1] - start !== lower.length) return false;
    const buf = this.buf;
    for (let k = 0; k < lower.length; k++) {
      const b = buf[start + k];
      if ((b >= 65 && b <= 90 ? b + 32 : b) !== lower.charCodeAt(k)) return false;
    }
    return true;
  }

  /**
   * Says an absolute-form target's authority is the host (RFC 9112 §3.2.2):
   * a `Host` field then reads as `authority` (a head without one still has none).
   */
  replaceHost(authority: string): void {
    if (this.host === null) return;
    this.host = authority;
    this.#pairs = undefined;
  }

  get(name: string): string | null {
    const lower = lowerName(name);
    if (lower === "host") return this.host;
    let value: string | null = null;
    for (let i = 0; i < this.known.length; i++) {
      if (!this.isNamed(i, lower)) continue;
      value = value === null ? this.value(i) : `${value}, ${this.value(i)}`;
    }
    return value;
  }

  forEach(callback: (value: string, name: string) => void): void {
    new FieldHeaders(this.pairs()).forEach(callback);
  }

  /** Every field as strings, in the order sent (names lower-cased). */
  pairs(): [string, string][] {
    if (this.#pairs !== undefined) return this.#pairs;
    const out: [string, string][] = [];
    for (let i = 0; i < this.known.length; i++) out.push([this.name(i), this.value(i)]);
    return this.#pairs = out;
  }

  /** The head's buffer is about to be read into again: no field is read from it after this. */
  release(): void {
    this.#buf = undefined;
  }
}

/** `name` in lower case, without a new string when it already is (the common case). */
function lowerName(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 65 && c <= 90) return name.toLowerCase();
  }
  return name;
}
