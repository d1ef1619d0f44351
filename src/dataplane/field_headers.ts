/**
 * A read-only view of a request's parsed header fields with the reading
 * semantics of `Headers` (what the handler's rules are written against):
 * `get` is case-insensitive and joins repeated fields with ", ", and
 * `forEach` visits names in sorted order with repeated fields joined, except
 * `set-cookie`, visited once per field. The own HTTP/1.1 server's fast path
 * hands the handler this instead of a `Headers`, whose construction (name and
 * value checks, a copy of every field) was a visible share of a proxied
 * request; both paths then run the same rules over the same view.
 *
 * @example
 * ```ts
 * import { FieldHeaders } from "./field_headers.ts";
 * const headers = new FieldHeaders([["b", "1"], ["a", "2"], ["b", "3"]]);
 * headers.get("B"); // "1, 3"
 * headers.forEach((value, name) => console.log(name, value)); // a 2, then b 1, 3
 * ```
 * @module
 */
import type { HeaderLookup } from "../router/router.ts";
import type { ClientGone } from "./client_gone.ts";
import type { UpstreamResponse } from "./upstream_types.ts";

/** Header fields (lower-case names, valid values: the head parser checked them) read like `Headers`. */
export class FieldHeaders implements HeaderLookup {
  readonly #fields: readonly [string, string][];

  constructor(fields: readonly [string, string][]) {
    this.#fields = fields;
  }

  get(name: string): string | null {
    const fields = this.#fields;
    const lower = lowerName(name);
    let value: string | null = null;
    for (let i = 0; i < fields.length; i++) {
      if (fields[i][0] !== lower) continue;
      value = value === null ? fields[i][1] : `${value}, ${fields[i][1]}`;
    }
    return value;
  }

  forEach(callback: (value: string, name: string) => void): void {
    const fields = this.#fields;
    const n = fields.length;
    // Indices sorted by name, stable (insertion sort: heads have a few fields).
    const order: number[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const name = fields[i][0];
      let at = i;
      while (at > 0 && fields[order[at - 1]][0] > name) {
        order[at] = order[at - 1];
        at--;
      }
      order[at] = i;
    }
    for (let k = 0; k < n; k++) {
      const [name, first] = fields[order[k]];
      let value = first;
      if (name !== "set-cookie") {
        while (k + 1 < n && fields[order[k + 1]][0] === name) {
          value = `${value}, ${fields[order[++k]][1]}`;
        }
      }
      callback(value, name);
    }
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

/**
 * A request as the handler's rules read it: a `Request` is one, and so is
 * what the own HTTP/1.1 server's fast path builds from a parsed head
 * (`h1/h1_fast.ts`), with the URL as the client spelled it.
 */
export interface IncomingRequest {
  readonly method: string;
  readonly url: string;
  /**
   * The request-target as sent, when `url` is the scheme, the `Host` field
   * and this target (an origin-form request with a Host): what splitting
   * `url` would give back, without the split. Absent on a `Request`.
   */
  readonly target?: string;
  readonly headers: HeaderLookup;
  readonly body: ReadableStream<Uint8Array> | null;
  /**
   * Says when the client goes away, which cancels the backend call. Absent
   * on a `Request`, whose `signal` says it.
   */
  readonly client?: ClientGone;
  /**
   * The server copies a backend's small body out of its answer in the turn
   * of the event loop the answer came in (`UpstreamRequest.takesBodyAtOnce`).
   */
  readonly takesBodyAtOnce?: boolean;
}

/**
 * What the fast path answers: a `Response` (the gateway's own answers, and
 * backend responses a rule changes), or the backend's response to write to
 * the client as it came.
 */
export type FastAnswer = Response | UpstreamResponse;

/**
 * A proxied request's answer, still to come: the server awaits `upstream`
 * itself and hands the outcome to `done` or `failed`, which shape the
 * client's answer and record the request. The handler then needs no
 * `async` step of its own: one promise and one resumption less per request.
 * Only a request without a body whose method is GET or HEAD is answered
 * this way (so a 408 for a stalled body never hides in one).
 */
export abstract class PendingAnswer {
  /** The backend's response. */
  abstract readonly upstream: Promise<UpstreamResponse>;
  /** The client's answer to the backend's response. Never throws. */
  abstract done(res: UpstreamResponse): FastAnswer;
  /** The client's answer when `upstream` failed with `error`. Never throws. */
  abstract failed(error: unknown): FastAnswer;
}

/**
 * Serves a request of the own HTTP/1.1 server from its parsed head, without
 * a `Request`; `undefined` (decided before anything is sent) when this
 * request needs the `Request` path.
 */
export type FieldsHandler = (
  request: IncomingRequest,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
) => FastAnswer | PendingAnswer | Promise<FastAnswer> | undefined;
