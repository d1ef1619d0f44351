/**
 * Message boundaries of the HTTP/1.1 conversation a diverted connection
 * relays to the engine (`upgrade_relay.ts`), so that a request asking for an
 * upgrade can be taken out of it at any point, not only first:
 *
 * - {@linkcode RequestFraming} holds each request head until it is complete
 *   (at most {@linkcode MAX_REQUEST_HEAD_BYTES}), passes non-upgrade heads
 *   and their bodies (by `Content-Length` or chunked framing) on, and stops
 *   at a head that asks for an upgrade: that head and every byte after it
 *   belong to the tunnel (RFC 9110 §7.8);
 * - {@linkcode ResponseFraming} follows the engine's answers (interim 1xx,
 *   bodiless, by length, chunked) and counts the requests not yet fully
 *   answered, so the upgrade starts only once the earlier answers are out.
 *
 * Anything the framing cannot follow (a head past the limit, a malformed
 * one, a body that runs to the close) is passed on as is and ends the
 * tracking: the engine answers it (431, 400) and no later upgrade is taken.
 * @module
 */
import { ChunkedFraming } from "./upgrade_chunked_framing.ts";
import {
  findHeadEnd,
  MAX_REQUEST_HEAD_BYTES,
  parseUpgradeRequestHead,
  type UpgradeRequestHead,
} from "./upgrade_request_head.ts";
import { latin1 } from "./http1_bytes.ts";
import { parseResponseHeadBytes, type ResponseHead } from "./upstream_head_parser.ts";

/** An `Upgrade` header field anywhere in a head's text. */
const UPGRADE_FIELD = /\r\nupgrade:/i;
/** Largest response head followed; a bigger one ends the tracking. */
const MAX_RESPONSE_HEAD_BYTES = 256 * 1024;

/** What one chunk of client bytes turned into. */
export interface RequestStep {
  /** Bytes for the engine, in order (views into the chunk or copies). */
  forward: Uint8Array[];
  /** Methods of the request heads among them, in order. */
  methods: string[];
  /** A request asking for an upgrade, and every byte after its head. */
  upgrade?: { head: UpgradeRequestHead; rest: Uint8Array };
}

/** A growing copy of the head being read. */
class HeadBuffer {
  // Allocated on the first append: most heads arrive whole and are never copied.
  bytes = new Uint8Array(0);
  length = 0;
  append(data: Uint8Array): void {
    if (this.length + data.length > this.bytes.length) {
      const size = Math.max(1024, this.bytes.length * 2, this.length + data.length);
      const bigger = new Uint8Array(size);
      bigger.set(this.bytes.subarray(0, this.length));
      this.bytes = bigger;
    }
    this.bytes.set(data, this.length);
    this.length += data.length;
  }
}

/**
 * The client side of a diverted conversation.
 *
 * @example
 * ```ts
 * import { RequestFraming } from "./upgrade_framing.ts";
 * const framing = new RequestFraming();
 * const step = framing.push(new TextEncoder().encode(
 *   "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
 * ));
 * step.methods; // ["GET"]
 * step.upgrade?.head.target; // "/ws"
 * ```
 */
export class RequestFraming {
  #state: "head" | "length" | "chunked" | "opaque" | "upgraded" = "head";
  #head = new HeadBuffer();
  #remaining = 0;
  #chunked = new ChunkedFraming();
  readonly #takesUpgrades: boolean;

  /**
   * `takesUpgrades` false: a request asking for an upgrade is followed and
   * forwarded like any other (the engine answers it as it would any request).
   */
  constructor(takesUpgrades = true) {
    this.#takesUpgrades = takesUpgrades;
  }

  /** Bytes of a request head are held, waiting for the rest of it. */
  get inHead(): boolean {
    return this.#state === "head" && this.#head.length > 0;
  }

  /** The tracking ended: every byte is passed on as is. */
  get opaque(): boolean {
    return this.#state === "opaque";
  }

  /** Takes the next bytes from the client. Not called again after an upgrade. */
  push(chunk: Uint8Array): RequestStep {
    const step: RequestStep = { forward: [], methods: [] };
    let data = chunk;
    while (data.length > 0 && step.upgrade === undefined) {
      switch (this.#state) {
        case "head":
          data = this.#pushHead(data, step);
          break;
        case "length": {
          const take = Math.min(this.#remaining, data.length);
          step.forward.push(data.subarray(0, take));
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = "head";
          data = data.subarray(take);
          break;
        }
        case "chunked": {
          const used = this.#chunked.consume(data, 0, data.length);
          if (used < 0) {
            this.#state = "opaque";
            break;
          }
          step.forward.push(data.subarray(0, used));
          if (this.#chunked.done) this.#state = "head";
          data = data.subarray(used);
          break;
        }
        default:
          step.forward.push(data);
          data = data.subarray(data.length);
      }
    }
    return step;
  }

  /** Adds to the held head; once complete, decides what it is. Returns the bytes after it. */
  #pushHead(data: Uint8Array, step: RequestStep): Uint8Array {
    const head = this.#head;
    const before = head.length;
    // A request line starts with a method token: anything else is the engine's to refuse.
    if (before === 0 && !(data[0] >= 65 && data[0] <= 90)) return this.#giveUp(data, step);
    const whole = wholeHead(head, data);
    if (whole === undefined) {
      // An HTTP/2 preface (`PRI * HTTP/2.0`): the engine speaks h2c, no upgrade comes.
      if (head.length >= MAX_REQUEST_HEAD_BYTES || startsWithPri(head)) {
        return this.#giveUp(new Uint8Array(0), step);
      }
      return new Uint8Array(0);
    }
    if (whole.bytes !== data) this.#head = new HeadBuffer();
    const { bytes, end } = whole;
    const rest = bytes.subarray(end, whole.length);
    const text = latin1(bytes, 0, end - 4);
    // Most heads ask for no upgrade: the strict parse runs only when one might.
    const upgrade = this.#takesUpgrades && UPGRADE_FIELD.test(text)
      ? parseUpgradeRequestHead(bytes, end)
      : undefined;
    if (upgrade !== undefined) {
      this.#state = "upgraded";
      step.upgrade = { head: upgrade, rest: rest.slice() };
      return new Uint8Array(0);
    }
    step.forward.push(bytes.subarray(0, end));
    const framing = requestFraming(text);
    if (framing === undefined) {
      this.#state = "opaque";
      return rest;
    }
    step.methods.push(framing.method);
    if (framing.chunked) {
      this.#chunked = new ChunkedFraming();
      this.#state = "chunked";
    } else if (framing.length > 0) {
      this.#remaining = framing.length;
      this.#state = "length";
    }
    return rest;
  }

  /** Passes what is held and everything after on, untracked. */
  #giveUp(data: Uint8Array, step: RequestStep): Uint8Array {
    if (this.#head.length > 0) step.forward.push(this.#head.bytes.subarray(0, this.#head.length));
    this.#head = new HeadBuffer();
    this.#state = "opaque";
    return data;
  }
}

/**
 * The head once complete: straight from `data` when it holds a whole head
 * and nothing was held before (no copy), else from `held` after adding
 * `data` to it. `length`: the bytes valid in `bytes`.
 */
function wholeHead(
  held: HeadBuffer,
  data: Uint8Array,
): { bytes: Uint8Array; end: number; length: number } | undefined {
  const before = held.length;
  if (before === 0) {
    const end = findHeadEnd(data, data.length);
    if (end !== -1) return { bytes: data, end, length: data.length };
  }
  held.append(data);
  const end = findHeadEnd(held.bytes, held.length, before);
  return end === -1 ? undefined : { bytes: held.bytes, end, length: held.length };
}

function startsWithPri(head: HeadBuffer): boolean {
  const b = head.bytes;
  return head.length >= 4 && b[0] === 80 && b[1] === 82 && b[2] === 73 && b[3] === 32;
}

/** Method and body framing of a request head's text; `undefined`: unclear. */
function requestFraming(
  head: string,
): { method: string; length: number; chunked: boolean } | undefined {
  const lines = head.split("\r\n");
  const request = lines[0].split(" ");
  if (request.length !== 3 || !/^HTTP\/1\.[01]$/.test(request[2])) return undefined;
  let length = -1;
  let chunked = false;
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(":");
    if (colon <= 0) return undefined;
    const name = lines[i].slice(0, colon).toLowerCase();
    const value = lines[i].slice(colon + 1).trim();
    if (name === "content-length") {
      if (!/^[0-9]{1,15}$/.test(value) || (length !== -1 && length !== Number(value))) {
        return undefined;
      }
      length = Number(value);
    } else if (name === "transfer-encoding") {
      // Only a lone `chunked` is followed; the engine refuses the rest.
      if (chunked || value.toLowerCase() !== "chunked") return undefined;
      chunked = true;
    }
  }
  if (chunked && length !== -1) return undefined;
  return { method: request[0], length: Math.max(length, 0), chunked };
}

/**
 * The engine's side of a diverted conversation: which forwarded requests
 * are not yet fully answered.
 *
 * @example
 * ```ts
 * import { ResponseFraming } from "./upgrade_framing.ts";
 * const framing = new ResponseFraming();
 * framing.expect("GET");
 * framing.scan(new TextEncoder().encode("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"));
 * framing.outstanding; // 0
 * ```
 */
export class ResponseFraming {
  readonly #methods: string[] = [];
  #state: "head" | "length" | "chunked" | "lost" = "head";
  #head = new HeadBuffer();
  #remaining = 0;
  #chunked = new ChunkedFraming();
  /** The last complete answer closes the connection. */
  closing = false;

  /** A request was forwarded; its answer is awaited. */
  expect(method: string): void {
    this.#methods.push(method);
  }

  /** Requests forwarded and not yet fully answered. */
  get outstanding(): number {
    return this.#methods.length;
  }

  /** The answers can no longer be followed (a body to the close, a malformed head). */
  get lost(): boolean {
    return this.#state === "lost";
  }

  /** Follows the next bytes from the engine (they are passed on unchanged). */
  scan(chunk: Uint8Array): void {
    let data = chunk;
    while (data.length > 0 && this.#state !== "lost") {
      if (this.#state === "length") {
        const take = Math.min(this.#remaining, data.length);
        this.#remaining -= take;
        if (this.#remaining === 0) this.#answered();
        data = data.subarray(take);
      } else if (this.#state === "chunked") {
        const used = this.#chunked.consume(data, 0, data.length);
        if (used < 0) this.#state = "lost";
        else if (this.#chunked.done) this.#answered();
        data = data.subarray(Math.max(used, 0));
      } else data = this.#scanHead(data);
    }
  }

  #scanHead(data: Uint8Array): Uint8Array {
    const head = this.#head;
    const whole = wholeHead(head, data);
    if (whole === undefined) {
      if (head.length > MAX_RESPONSE_HEAD_BYTES) this.#state = "lost";
      return new Uint8Array(0);
    }
    if (whole.bytes !== data) this.#head = new HeadBuffer();
    const { bytes, end } = whole;
    const rest = bytes.subarray(end, whole.length);
    let parsed: ResponseHead;
    try {
      parsed = parseResponseHeadBytes(bytes, 0, end - 4);
    } catch {
      this.#state = "lost";
      return rest;
    }
    if (parsed.status < 200) {
      // Interim (100 Continue, 103): the final answer follows.
      if (parsed.status === 101) this.#state = "lost";
      return rest;
    }
    this.closing = !parsed.keepAlive;
    const method = this.#methods[0];
    if (
      method === "HEAD" || parsed.status === 204 || parsed.status === 304 ||
      parsed.contentLength === 0
    ) {
      this.#answered();
    } else if (parsed.chunked) {
      this.#chunked = new ChunkedFraming();
      this.#state = "chunked";
    } else if (parsed.contentLength > 0) {
      this.#remaining = parsed.contentLength;
      this.#state = "length";
    } else this.#state = "lost";
    return rest;
  }

  #answered(): void {
    this.#methods.shift();
    this.#state = "head";
  }
}
