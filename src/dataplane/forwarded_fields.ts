/**
 * The header fields a backend gets, written from the bytes the client sent:
 * the client's field lines the proxy passes on are copied as they came
 * (names lower-cased, values byte for byte, in the client's order, a
 * repeated field as its lines), and only what the gateway sets is added as
 * text (`Host`, `X-Forwarded-*`, what a route's modifier sets or adds).
 * `forward_headers.ts` decides which lines pass, with the same rules as for
 * a list of strings.
 *
 * The client's bytes are valid only during the handler's call
 * (`head_fields.ts`): the first write of the head (on a pooled connection,
 * made in that call) copies them into the request's bytes, and
 * {@linkcode ForwardedFields.own} (called before the handler returns) copies
 * them out when nothing wrote them yet: a new connection's connect, or
 * another protocol's client, reads them later.
 *
 * @example
 * ```ts
 * import { ForwardedFields } from "./forwarded_fields.ts";
 * import { HeadFields } from "./head_fields.ts";
 * const lines = new HeadFields(new TextEncoder().encode("X-A: 1"));
 * lines.add(0, 3, 5, 6, null);
 * const fields = new ForwardedFields(lines, [0], ["host", "a.example", "x-forwarded-proto", "http"]);
 * fields.pairs(); // ["host", "a.example", "x-a", "1", "x-forwarded-proto", "http"]
 * ```
 * @module
 */
import type { HeadFields } from "./head_fields.ts";
import { copyFieldLine, FieldLinesMemo, latin1 } from "./http1_bytes.ts";
import type { FieldLines } from "./upstream_types.ts";

/** A backend's header fields: the client's lines passed on, and the gateway's own. */
export class ForwardedFields implements FieldLines {
  #lines: HeadFields | undefined;
  /** Indices (in `#lines`) of the client's fields passed on, in the order sent. */
  readonly #kept: number[];
  /**
   * The gateway's fields, flattened `[name, value, …]`: the first is `host`,
   * written before the client's lines, the others after them.
   */
  readonly added: string[];
  /** The kept lines copied out of the client's buffer (`own`). */
  #owned: Uint8Array | undefined;
  /** The kept lines were written from the client's buffer, and released since: nothing can read them again. */
  #spent = false;
  /** The kept lines went into a head from the client's buffer. */
  #written = false;

  constructor(lines: HeadFields, kept: number[], added: string[]) {
    this.#lines = lines;
    this.#kept = kept;
    this.added = added;
  }

  /** The client's fields passed on (indices into its head), changed by a route's modifiers. */
  get kept(): number[] {
    return this.#kept;
  }

  /** The client's head, while its bytes are readable. */
  get lines(): HeadFields {
    return this.#source();
  }

  /** Bytes of every field line (`name: value\r\n`). */
  byteLength(): number {
    const added = this.added;
    let n = 0;
    for (let i = 0; i < added.length; i++) n += added[i].length + 2;
    if (this.#owned !== undefined) return n + this.#owned.length;
    return n + keptLength(this.#source(), this.#kept);
  }

  /** Writes every field line at `at` of `out` (room for {@linkcode byteLength}); the next position. */
  writeInto(out: Uint8Array, at: number): number {
    const added = this.added;
    at = hostLine.put(out, at, added, 0, 2);
    const owned = this.#owned;
    if (owned !== undefined) {
      out.set(owned, at);
      at += owned.length;
    } else {
      at = writeLines(out, at, this.#source(), this.#kept);
      this.#written = true;
    }
    at = laterLines.put(out, at, added, 2, added.length);
    return at;
  }

  /**
   * The handler's call is ending: the client's lines are copied out unless a
   * head already holds them (whose bytes a retry sends again).
   */
  own(): void {
    const lines = this.#lines;
    if (lines === undefined) return;
    this.#lines = undefined;
    if (this.#written) {
      this.#spent = true;
      return;
    }
    const kept = this.#kept;
    const owned = new Uint8Array(keptLength(lines, kept));
    writeLines(owned, 0, lines, kept);
    this.#owned = owned;
  }

  /** Every field as strings, flattened `[name, value, …]`, in the order written. */
  pairs(): string[] {
    const added = this.added;
    const out = [added[0], added[1]];
    const owned = this.#owned;
    if (owned !== undefined) {
      let at = 0;
      while (at < owned.length) {
        let colon = at;
        while (owned[colon] !== 58) colon++;
        let end = colon + 2;
        while (owned[end] !== 13) end++;
        out.push(latin1(owned, at, colon), latin1(owned, colon + 2, end));
        at = end + 2;
      }
    } else {
      const lines = this.#source();
      const kept = this.#kept;
      for (let k = 0; k < kept.length; k++) out.push(lines.name(kept[k]), lines.value(kept[k]));
    }
    for (let i = 2; i < added.length; i++) out.push(added[i]);
    return out;
  }

  #source(): HeadFields {
    const lines = this.#lines;
    if (lines === undefined) {
      throw new TypeError(
        this.#spent
          ? "Cannot read forwarded header fields again: they were sent and their bytes released"
          : "Cannot read forwarded header fields: none are held",
      );
    }
    return lines;
  }
}

/**
 * The bytes of the gateway's field lines as last written: `Host` (before
 * the client's lines) and the others (after them) come with the same values
 * request after request.
 */
const hostLine = new FieldLinesMemo();
const laterLines = new FieldLinesMemo();

/** Bytes of the `kept` field lines of `lines` as written (`name: value\r\n`). */
function keptLength(lines: HeadFields, kept: number[]): number {
  const written = lines.written;
  if (written !== undefined && sameList(written.kept, kept)) return written.bytes.length;
  const p = lines.places;
  let n = 0;
  for (let k = 0; k < kept.length; k++) {
    const at = 4 * kept[k];
    n += p[at + 1] - p[at] + p[at + 3] - p[at + 2] + 4;
  }
  return n;
}

/**
 * Copies the `kept` field lines of `lines` to `out` at `at`, names
 * lower-cased; the next position. A head read from the memo of heads with
 * the same bytes shares what was last written of them: the same fields are
 * then copied as those bytes, in one piece.
 */
function writeLines(out: Uint8Array, at: number, lines: HeadFields, kept: number[]): number {
  const written = lines.written;
  if (written !== undefined && sameList(written.kept, kept)) {
    out.set(written.bytes, at);
    return at + written.bytes.length;
  }
  const from = at;
  const buf = lines.buf;
  const p = lines.places;
  for (let k = 0; k < kept.length; k++) {
    const i = 4 * kept[k];
    at = copyFieldLine(out, at, buf, p[i], p[i + 1], p[i + 2], p[i + 3]);
  }
  if (written !== undefined) {
    written.kept = kept.slice();
    written.bytes = out.slice(from, at);
  }
  return at;
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
