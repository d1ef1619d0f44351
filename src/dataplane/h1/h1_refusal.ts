/**
 * The answer our HTTP/1.1 server gives a request it refuses (`h1_request_head.ts`
 * says which, RFC 9112): the error's status and message as plain text, and
 * `Connection: close`, since the request's framing is not to be trusted.
 * The answer to a HEAD request has the same head and no body.
 *
 * @example
 * ```ts
 * import { refusalBytes } from "./h1_refusal.ts";
 * import { H1RequestError } from "./h1_request_head.ts";
 * const bytes = refusalBytes(new H1RequestError(400, "Bad request line"), false);
 * ```
 * @module
 */
import type { H1RequestError } from "./h1_request_head.ts";

const encoder = new TextEncoder();

const REASONS: Record<number, string> = {
  400: "Bad Request",
  417: "Expectation Failed",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
  505: "HTTP Version Not Supported",
};

/** The bytes of the answer to a request refused with `error`; `head`: it was a HEAD request. */
export function refusalBytes(error: H1RequestError, head: boolean): Uint8Array {
  const text = encoder.encode(`${error.message}\n`);
  const headBytes = encoder.encode(
    `HTTP/1.1 ${error.status} ${REASONS[error.status]}\r\n` +
      `content-type: text/plain; charset=utf-8\r\ncontent-length: ${text.length}\r\n` +
      `connection: close\r\n\r\n`,
  );
  const answer = new Uint8Array(headBytes.length + (head ? 0 : text.length));
  answer.set(headBytes);
  if (!head) answer.set(text, headBytes.length);
  return answer;
}

/** Whether the head at `buf[at, end)` starts with the HEAD method (its refusal then has no body). */
export function headRequested(buf: Uint8Array, at: number, end: number): boolean {
  return end - at >= 5 && buf[at] === 72 && buf[at + 1] === 69 && buf[at + 2] === 65 &&
    buf[at + 3] === 68 && buf[at + 4] === 32;
}
