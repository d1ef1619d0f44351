/**
 * The propagation probe's HTTP/1.1 client: one kept-alive loopback
 * connection, Nagle off, one reused read buffer and the request bytes
 * encoded once per host, so a poll costs the benchmark's event loop a write
 * and a read or two rather than a `fetch` with its Request, Headers and
 * stream objects. It reads only what a probe needs (the status) and skips the
 * body by `Content-Length` or a chunked end; any other framing, a
 * `connection: close` or an error drops the connection and the next request
 * opens a new one.
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder("latin1");
const CRLFCRLF = [13, 10, 13, 10];

/** A probe client for one port on 127.0.0.1. */
export class ProbeClient {
  #conn: Deno.TcpConn | undefined;
  #buf = new Uint8Array(64 * 1024);
  #host = "";
  #request = new Uint8Array();

  constructor(readonly port: number) {}

  /** `GET /` with this `Host`; resolves the answer's status. Throws on a connection error. */
  async status(host: string): Promise<number> {
    if (host !== this.#host) {
      this.#host = host;
      this.#request = encoder.encode(`GET / HTTP/1.1\r\nhost: ${host}\r\n\r\n`);
    }
    const conn = this.#conn ?? await this.#connect();
    try {
      await conn.write(this.#request);
      return await this.#readAnswer(conn);
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** Closes the connection (the next request opens another). */
  close(): void {
    try {
      this.#conn?.close();
    } catch { /* already closed */ }
    this.#conn = undefined;
  }

  async #connect(): Promise<Deno.TcpConn> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: this.port });
    conn.setNoDelay(true);
    this.#conn = conn;
    return conn;
  }

  async #readAnswer(conn: Deno.TcpConn): Promise<number> {
    let end = 0;
    let headEnd = -1;
    while (headEnd < 0) {
      end += await this.#read(conn, end);
      headEnd = indexOf(this.#buf, end, CRLFCRLF);
    }
    const head = decoder.decode(this.#buf.subarray(0, headEnd)).toLowerCase();
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/.exec(head);
    const bodyStart = headEnd + 4;
    if (length !== null) {
      const total = bodyStart + Number(length[1]);
      if (total > this.#buf.length) throw new Error(`Cannot read an answer of ${total} bytes`);
      while (end < total) end += await this.#read(conn, end);
    } else if (/\r\ntransfer-encoding:[^\r]*chunked/.test(head)) {
      while (indexOf(this.#buf, end, [48, 13, 10, 13, 10], bodyStart) < 0) {
        end += await this.#read(conn, end);
      }
    } else {
      this.close();
      return status;
    }
    if (/\r\nconnection:\s*close/.test(head)) this.close();
    return status;
  }

  async #read(conn: Deno.TcpConn, end: number): Promise<number> {
    if (end === this.#buf.length) throw new Error("Cannot read an answer head over 64 KiB");
    const n = await conn.read(this.#buf.subarray(end));
    if (n === null) throw new Error("Cannot read an answer: the gateway closed the connection");
    return n;
  }
}

/** Where `needle` starts in `buf[from, end)`, or -1. */
function indexOf(buf: Uint8Array, end: number, needle: number[], from = 0): number {
  outer: for (let i = from; i + needle.length <= end; i++) {
    for (let j = 0; j < needle.length; j++) if (buf[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
