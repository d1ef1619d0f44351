/**
 * The client's request body on its way upstream: which requests have one at
 * all, and telling a client that went away mid-upload apart from a backend
 * that failed (the first is the client's doing: no 5xx, no error log), and
 * reading a small body whole so that it can be sent again.
 * @module
 */

/** Reading the client's request body failed: the client aborted or broke the upload. */
export class ClientBodyError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ClientBodyError";
  }
}

/**
 * Reads the next chunk of a client body, turning a read failure into a
 * {@linkcode ClientBodyError} so callers can tell it from an upstream failure.
 */
export async function readClientChunk(
  reader: ReadableStreamDefaultReader<Uint8Array>,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  try {
    return await reader.read();
  } catch (error) {
    throw new ClientBodyError(
      `Cannot read the request body from the client: ${(error as Error)?.message ?? error}`,
      { cause: error },
    );
  }
}

/**
 * The body to forward for a request that declared no framing (neither
 * `Content-Length` nor `Transfer-Encoding`): the HTTP/1 engine still hands
 * such a `DELETE` or `OPTIONS` an empty stream, which a proxy would send as
 * `Transfer-Encoding: chunked`; some backends refuse that. An HTTP/2 request
 * may stream a body without a length, so the first chunk decides: none
 * before the end means no body (`null`); otherwise the chunks so far are put
 * back in front of the rest.
 *
 * @example
 * ```ts
 * import { bodyOrNull } from "./request_body.ts";
 * await bodyOrNull(new Blob([]).stream()); // null
 * ```
 */
export async function bodyOrNull(
  body: ReadableStream<Uint8Array>,
): Promise<ReadableStream<Uint8Array> | null> {
  const reader = body.getReader();
  let first: Uint8Array | undefined;
  for (;;) {
    const { value, done } = await readClientChunk(reader);
    if (done) {
      reader.releaseLock();
      return null;
    }
    if (value.length > 0) {
      first = value;
      break;
    }
  }
  let pending: Uint8Array | undefined = first;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pending !== undefined) {
        controller.enqueue(pending);
        pending = undefined;
        return;
      }
      const { value, done } = await readClientChunk(reader);
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/**
 * Reads a body of `length` bytes. Chunks are copied as they come rather than
 * into one buffer of `length` allocated up front, so a client that stalls
 * after a few bytes holds a few bytes, not the whole declared length (the
 * client side's 64 KiB read buffers are not kept either).
 */
export async function readBodyOfLength(
  body: ReadableStream<Uint8Array>,
  length: number,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let filled = 0;
  const reader = body.getReader();
  for (;;) {
    const { value: chunk, done } = await readClientChunk(reader);
    if (done) break;
    if (filled + chunk.length > length) {
      await reader.cancel().catch(() => {});
      throw new ClientBodyError("Cannot forward request body: longer than its Content-Length");
    }
    if (chunk.length === 0) continue;
    parts.push(chunk.length === length ? chunk : chunk.slice());
    filled += chunk.length;
  }
  if (filled !== length) {
    throw new ClientBodyError("Cannot forward request body: shorter than its Content-Length");
  }
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
