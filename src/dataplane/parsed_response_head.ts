/**
 * A backend's response head as the parser (`upstream_head_parser.ts`) read
 * it: its framing and connection decisions, and its kept fields as places
 * in the bytes it came in (`ResponseLines`), whose strings are made only
 * when read. A head whose bytes were read before takes that reading's facts
 * and field lines (`response_head_memo.ts`).
 *
 * @example
 * ```ts
 * import { ParsedResponseHead } from "./parsed_response_head.ts";
 * const bytes = new TextEncoder().encode("HTTP/1.1 200 OK\r\nX-A: 1");
 * const head = new ParsedResponseHead(bytes, 0, bytes.length);
 * head.places.push(17, 20, 22, 23);
 * head.headers; // [["x-a", "1"]]
 * ```
 * @module
 */
import { isHopByHop } from "./hop_by_hop.ts";
import { latin1 } from "./http1_bytes.ts";
import { knownFieldName } from "./h1/known_field_names.ts";
import type { RememberedHead } from "./response_head_memo.ts";
import type { ResponseLines } from "./upstream_types.ts";

/** A parsed response head. */
export interface ResponseHead {
  status: number;
  /** HTTP/1.x minor version. */
  minor: number;
  /** Lower-case names; hop-by-hop and framing headers removed. */
  headers: [string, string][];
  /** `-1` when absent. */
  contentLength: number;
  /** Final transfer coding is `chunked`. */
  chunked: boolean;
  /** A transfer coding other than a final `chunked`: the body runs to connection close. */
  untilClose: boolean;
  /** The connection may carry another request after this response. */
  keepAlive: boolean;
  /** A `Trailer` field announced trailer fields (RFC 9110 §6.6.2); the field itself is dropped. */
  trailer: boolean;
}

/** A response head read: the framing and connection decisions made, the kept fields as places in the bytes. */
export class ParsedResponseHead implements ResponseHead, ResponseLines {
  status = 0;
  minor = 1;
  contentLength = -1;
  chunked = false;
  untilClose = false;
  keepAlive = false;
  trailer = false;
  date = false;
  #places: number[] | undefined;
  /** The same head read before, whose facts and places these are. */
  #known: RememberedHead | undefined;
  #text: string | undefined;
  #headers: [string, string][] | undefined;

  constructor(
    readonly buf: Uint8Array,
    readonly start: number,
    readonly end: number,
    known?: RememberedHead,
  ) {
    if (known === undefined) return;
    this.#known = known;
    this.status = known.status;
    this.minor = known.minor;
    this.contentLength = known.contentLength;
    this.chunked = known.chunked;
    this.untilClose = known.untilClose;
    this.keepAlive = known.keepAlive;
    this.trailer = known.trailer;
    this.date = known.date;
  }

  /** The kept fields as places in `buf` (made when first read for a head read before). */
  get places(): number[] {
    return this.#places ??= this.#known === undefined ? [] : this.#known.placesAt(this.start);
  }

  /** The kept fields as our HTTP/1.1 server writes them, when this head's bytes are remembered. */
  rememberedLines(): Uint8Array | undefined {
    return this.#known?.lines();
  }

  /** This head's bytes are remembered as `known` (whose lines serve it too). */
  remembered(known: RememberedHead | undefined): void {
    this.#known = known;
  }

  /** The kept fields' strings, made on the first read from the bytes (which must not have changed). */
  get headers(): [string, string][] {
    return this.#headers ??= this.#strings();
  }

  /** Latin-1 text of `buf[from, to)`, cut from one decode of the whole head. */
  cut(from: number, to: number): string {
    const text = this.#text ??= latin1(this.buf, this.start, this.end);
    return text.slice(from - this.start, to - this.start);
  }

  /** Drops the fields `listed` names (the strings are then the only form kept). */
  dropListed(listed: Set<string>): void {
    this.#headers = this.headers.filter(([name]) => !isHopByHop(name, listed));
    this.date = this.#headers.some(([name]) => name === "date");
    this.places.length = 0;
    this.placed = false;
  }

  /** Whether `places` still says every kept field (false once fields were dropped as strings). */
  placed = true;

  #strings(): [string, string][] {
    const places = this.places;
    const buf = this.buf;
    const out: [string, string][] = [];
    for (let i = 0; i < places.length; i += 4) {
      const name = knownFieldName(buf, places[i], places[i + 1]) ??
        this.cut(places[i], places[i + 1]).toLowerCase();
      out.push([name, this.cut(places[i + 2], places[i + 3])]);
    }
    return out;
  }
}
