/**
 * Response bodies read from an upstream HTTP/1.1 connection, as streams for
 * the three framings. Each calls `done(reusable)` exactly once: `true` when
 * the body ended cleanly on its framing (the connection may go back to the
 * pool), `false` on error, early cancel (the client went away) or a body that
 * ran to connection close.
 * @module
 */
import type { Http1Connection } from "./upstream_connection.ts";
import { UpstreamError } from "./upstream_types.ts";
import type { Trailers } from "./response_trailers.ts";

/** Called once when a body is finished with. */
export type BodyDone = (reusable: boolean) => void;

const MAX_TRAILER_LINES = 100;
/**
 * `chunk-size [ BWS ";" chunk-ext ]` (RFC 9112 §7.1): hex digits first, no
 * other whitespace, no control characters in the extension. A lenient
 * reader (one that trimmed the line) took `5\n`, ` 5` and `5\xa0` as 5.
 */
// deno-lint-ignore no-control-regex -- control characters are what it refuses
const CHUNK_SIZE_LINE = /^([0-9a-fA-F]{1,15})(?:[ \t]*;[^\x00-\x08\x0a-\x1f\x7f]*)?$/;

function once(done: BodyDone): BodyDone {
  let called = false;
  return (reusable) => {
    if (called) return;
    called = true;
    done(reusable);
  };
}

/**
 * One read of a body: bytes to pass on, and/or the end of the body with
 * whether the connection may be reused.
 */
interface BodyStep {
  chunk?: Uint8Array;
  end?: { reusable: boolean };
}

/** The stream every framing shares: one step a pull, `done` called exactly once. */
function framedBody(step: () => Promise<BodyStep>, done: BodyDone): ReadableStream<Uint8Array> {
  const finish = once(done);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { chunk, end } = await step();
        if (chunk !== undefined) controller.enqueue(chunk);
        if (end !== undefined) {
          controller.close();
          finish(end.reusable);
        }
      } catch (error) {
        finish(false);
        controller.error(error);
      }
    },
    cancel() {
      finish(false);
    },
  }, { highWaterMark: 0 });
}

/** A body of exactly `length` bytes. */
export function lengthBody(
  c: Http1Connection,
  length: number,
  done: BodyDone,
): ReadableStream<Uint8Array> {
  let remaining = length;
  return framedBody(async () => {
    const chunk = await c.readSome(remaining);
    if (chunk === null) {
      throw new UpstreamError("reset", "Upstream closed the connection inside a response body");
    }
    remaining -= chunk.length;
    return remaining === 0 ? { chunk, end: { reusable: true } } : { chunk };
  }, done);
}

/** A body that ends when the upstream closes the connection. */
export function untilCloseBody(c: Http1Connection, done: BodyDone): ReadableStream<Uint8Array> {
  return framedBody(async () => {
    const chunk = await c.readSome(Number.MAX_SAFE_INTEGER);
    return chunk === null ? { end: { reusable: false } } : { chunk };
  }, done);
}

/**
 * A `Transfer-Encoding: chunked` body, decoded; its trailer fields go to
 * `onTrailers` when given (malformed lines left out), else are dropped.
 */
export function chunkedBody(
  c: Http1Connection,
  done: BodyDone,
  onTrailers?: (trailers: Trailers) => void,
): ReadableStream<Uint8Array> {
  let remaining = 0;
  let needCrlf = false;
  return framedBody(async () => {
    for (;;) {
      if (needCrlf) {
        if ((await c.readLine()) !== "") {
          throw new UpstreamError(
            "protocol",
            "Cannot parse upstream chunked body: no CRLF after chunk data",
          );
        }
        needCrlf = false;
      }
      if (remaining === 0) {
        const size = parseChunkSize(await c.readLine());
        if (size === 0) {
          const trailers = await readTrailers(c);
          onTrailers?.(trailers);
          return { end: { reusable: true } };
        }
        remaining = size;
      }
      const chunk = await c.readSome(remaining);
      if (chunk === null) {
        throw new UpstreamError("reset", "Upstream closed the connection inside a chunked body");
      }
      remaining -= chunk.length;
      needCrlf = remaining === 0;
      if (chunk.length > 0) return { chunk };
    }
  }, done);
}

function parseChunkSize(line: string): number {
  const match = CHUNK_SIZE_LINE.exec(line);
  if (match === null) {
    throw new UpstreamError(
      "protocol",
      `Cannot parse upstream chunk size: current value is ${JSON.stringify(line.slice(0, 40))}`,
    );
  }
  return parseInt(match[1], 16);
}

/** `name: value` with a token name; the value without surrounding whitespace. */
const TRAILER_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/;

async function readTrailers(c: Http1Connection): Promise<Trailers> {
  const trailers: Trailers = [];
  for (let i = 0; i < MAX_TRAILER_LINES; i++) {
    const line = await c.readLine();
    if (line === "") return trailers;
    const match = TRAILER_LINE.exec(line);
    if (match !== null) trailers.push([match[1].toLowerCase(), match[2]]);
  }
  throw new UpstreamError("protocol", "Cannot read upstream trailers: too many lines");
}
