/**
 * The server-and-handler half of a proxied HTTP/2 request, in one process
 * and without sockets: our HTTP/2 server (`h2/h2_server.ts`) on scripted
 * client connections, the port's handler with its fast path and the metrics
 * observer, and an upstream client that answers every request at once with
 * a small body. Each client opens its connection as h2load does (preface,
 * SETTINGS, a larger connection window), then sends `--streams` GET streams
 * in one read, waits until every one of them has ended, and sends the next
 * batch with a WINDOW_UPDATE for the DATA it got. What is left is the
 * JavaScript a request costs our HTTP/2 server and the handler, with no TLS,
 * kernel or other process in it, so two checkouts can be compared on a busy
 * machine: the process's CPU time per request, the best of `--runs` runs and
 * the median beside it.
 *
 * ```sh
 * deno run --allow-read --v8-flags=--max-semi-space-size=4 bench/h2_handler_bench.ts [--requests 100000] [--connections 20] [--streams 10] [--runs 7] [--warmup 20000] [--root DIR]
 * ```
 *
 * `--root DIR` runs the server and handler of another checkout (e.g. the
 * commit a change started from) with this driver.
 * @module
 */
import { checkoutRoot, flag } from "./_flags.ts";
import { cpuUsage } from "node:process";
import { benchHandlers, reportRuns, ScriptedConnection } from "./_handler_bench.ts";

const requests = Number(flag("requests", "100000"));
const connections = Number(flag("connections", "20"));
const streams = Number(flag("streams", "10"));
const runs = Number(flag("runs", "7"));
const warmup = Number(flag("warmup", "20000"));
const root = checkoutRoot();

const { serveH2 } = await import(`${root}src/dataplane/h2/h2_server.ts`);

/** h2load's request fields (its default `user-agent`; no `accept`). */
const REQUEST_FIELDS: [string, string][] = [
  [":method", "GET"],
  [":path", "/bench"],
  [":scheme", "http"],
  [":authority", "127.0.0.1:8080"],
  ["user-agent", "h2load nghttp2/1.52.0"],
];

// The client side is written here, not imported: the server under test must not share
// its modules (and their optimised code) with the driver, whatever checkout it comes from.
const PREFACE = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const DATA = 0x0;
const HEADERS = 0x1;
const SETTINGS = 0x4;
const WINDOW_UPDATE = 0x8;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;

function frame(type: number, flags: number, streamId: number, payload: number[]): Uint8Array {
  const n = payload.length;
  return Uint8Array.of(
    n >> 16,
    (n >> 8) & 0xff,
    n & 0xff,
    type,
    flags,
    streamId >>> 24,
    (streamId >> 16) & 0xff,
    (streamId >> 8) & 0xff,
    streamId & 0xff,
    ...payload,
  );
}

const uint32 = (v: number) => [v >>> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];

/**
 * The request's header block as h2load's encoder gives it: the first on a
 * connection adds every field to the dynamic table (literal names and
 * values, no Huffman), later ones name them all by index.
 */
function requestBlock(first: boolean): number[] {
  if (!first) return REQUEST_FIELDS.map((_, i) => 0x80 | (62 + REQUEST_FIELDS.length - 1 - i));
  const literal = (text: string) => [text.length, ...[...text].map((c) => c.charCodeAt(0))];
  return REQUEST_FIELDS.flatMap(([name, value]) => [0x40, ...literal(name), ...literal(value)]);
}

/** A later request's HEADERS frame, its stream id to be written at 5-8. */
const LATER_HEADERS = frame(HEADERS, END_HEADERS | END_STREAM, 0, requestBlock(false));

/**
 * An HTTP/2 client connection that sends `batches` batches of `streams`
 * GET streams, each once every stream of the one before has ended (the
 * server's writes are parsed for END_STREAM), as h2load's `-m` does; the
 * read after the last batch finds the end.
 */
class ScriptedClient extends ScriptedConnection {
  #nextId = 1;
  #dataBytes = 0;
  #opened = false;
  /** A frame header split across two writes: the bytes of it seen so far. */
  #partial = new Uint8Array(9);
  #partialLength = 0;
  /** Payload bytes still to skip of the frame whose header was read last. */
  #skip = 0;

  protected fill(buf: Uint8Array): number {
    let at = 0;
    const put = (bytes: Uint8Array) => {
      buf.set(bytes, at);
      at += bytes.length;
    };
    if (!this.#opened) {
      this.#opened = true;
      // INITIAL_WINDOW_SIZE 2^30 and the connection window as large, as h2load asks.
      put(PREFACE);
      put(frame(SETTINGS, 0, 0, [0, 4, ...uint32(1 << 30)]));
      put(frame(WINDOW_UPDATE, 0, 0, uint32((1 << 30) - 65_535)));
      put(frame(SETTINGS, 1, 0, []));
      put(frame(HEADERS, END_HEADERS | END_STREAM, 1, requestBlock(true)));
      this.#nextId = 3;
    } else if (this.#dataBytes > 0) {
      put(frame(WINDOW_UPDATE, 0, 0, uint32(this.#dataBytes)));
      this.#dataBytes = 0;
    }
    // The driver's own cost stays small: later HEADERS are copied in, their stream id patched.
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let i = this.#nextId === 3 && this.sent === 0 ? 1 : 0; i < streams; i++) {
      buf.set(LATER_HEADERS, at);
      view.setUint32(at + 5, this.#nextId);
      at += LATER_HEADERS.length;
      this.#nextId += 2;
    }
    this.sent += streams;
    return at;
  }

  /** Counts the streams `bytes` ended and the DATA they carried. */
  protected heard(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, bytes.length - at);
        this.#skip -= n;
        at += n;
        continue;
      }
      const n = Math.min(9 - this.#partialLength, bytes.length - at);
      this.#partial.set(bytes.subarray(at, at + n), this.#partialLength);
      this.#partialLength += n;
      at += n;
      if (this.#partialLength < 9) return;
      this.#partialLength = 0;
      const h = this.#partial;
      const length = (h[0] << 16) | (h[1] << 8) | h[2];
      const type = h[3];
      if (type === DATA) this.#dataBytes += length;
      if ((type === DATA || type === HEADERS) && (h[4] & END_STREAM) !== 0) this.answered++;
      this.#skip = length;
    }
  }
}

const { handle, fields, onError } = await benchHandlers(root);

async function run(total: number): Promise<number> {
  const batches = Math.ceil(total / connections / streams);
  const clients = Array.from({ length: connections }, () => new ScriptedClient(batches));
  const started = cpuUsage();
  await Promise.all(
    clients.map((c) =>
      serveH2(c as unknown as Deno.Conn, new Uint8Array(0), {
        handler: handle,
        fields,
        onError,
        scheme: "http",
      }).finished
    ),
  );
  const used = cpuUsage(started);
  const answered = clients.reduce((sum, c) => sum + c.answered, 0);
  if (answered !== batches * streams * connections) {
    throw new Error(
      `Cannot trust the run: ${answered} answers for ${batches * streams * connections} requests`,
    );
  }
  return (used.user + used.system) / answered;
}

await reportRuns(root, run, {
  warmup,
  runs,
  requests,
  what: `on ${connections} connections, ${streams} streams each`,
});
