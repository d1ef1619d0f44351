/**
 * An HTTP/1.1 backend on loopback that answers every request with a chunked
 * body (`hello`) and a trailer section, for the response-trailer tests.
 * @module
 */
import { type LoopbackServer, serveLoopback } from "./loopback_server.ts";

/** A running chunked backend and the request heads it read, in order. */
export type ChunkedBackend = LoopbackServer & { heads: string[] };

/**
 * Starts the backend. Its trailer section carries `X-Checksum: abc`, then a
 * framing field and a line that is no field at all (both must be dropped on
 * the way), announced with a `Trailer` field unless `announce` is false.
 *
 * @example
 * ```ts
 * import { startChunkedBackend } from "./chunked_backend.ts";
 * await using backend = startChunkedBackend(false);
 * console.log(backend.port, backend.heads);
 * ```
 */
export function startChunkedBackend(announce = true): ChunkedBackend {
  const heads: string[] = [];
  const answer = new TextEncoder().encode(
    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n" +
      (announce ? "Trailer: x-checksum\r\n" : "") +
      "transfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Checksum: abc\r\n" +
      "Content-Length: 7\r\nnot a field\r\n\r\n",
  );
  const server = serveLoopback(async (conn) => {
    const buf = new Uint8Array(16 * 1024);
    let head = "";
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return;
      head += new TextDecoder().decode(buf.subarray(0, n));
      while (head.includes("\r\n\r\n")) {
        heads.push(head.slice(0, head.indexOf("\r\n\r\n")));
        head = head.slice(head.indexOf("\r\n\r\n") + 4);
        await conn.write(answer);
      }
    }
  });
  return Object.assign(server, { heads });
}
