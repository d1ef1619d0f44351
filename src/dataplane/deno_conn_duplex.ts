/**
 * A Deno connection as a `node:stream` `Duplex`, so that `node:http2` can
 * run a client session over a connection Deno opened: TLS to a backend is
 * started by `upstream_tls.ts` (its CA bundle, SNI, subjectAltName checks
 * and client certificate), which `node:tls` would have to do all over again.
 * Reads pull one chunk per `read()` call, so the session's own flow control
 * holds the socket back; writes complete when Deno took the bytes.
 * @module
 */
import { Duplex } from "node:stream";
import { Buffer } from "node:buffer";

/**
 * Wraps `conn`; destroying the duplex closes the connection.
 *
 * @example
 * ```ts
 * import http2 from "node:http2";
 * import { duplexOfConn } from "./deno_conn_duplex.ts";
 * const conn = await Deno.connectTls({ hostname: "localhost", port: 8443, alpnProtocols: ["h2"] });
 * const session = http2.connect("https://localhost:8443", {
 *   createConnection: () => duplexOfConn(conn),
 * });
 * ```
 */
export function duplexOfConn(conn: Deno.Conn): Duplex {
  const reader = conn.readable.getReader();
  const writer = conn.writable.getWriter();
  let closed = false;
  const closeConn = () => {
    if (closed) return;
    closed = true;
    try {
      conn.close();
    } catch {
      // Already closed by the peer or a failed read.
    }
  };
  const duplex = new Duplex({
    read() {
      reader.read().then(({ value, done }) => {
        if (done) duplex.push(null);
        else duplex.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      }, (error) => duplex.destroy(error));
    },
    write(chunk: Buffer, _encoding, callback) {
      writer.write(chunk).then(() => callback(), callback);
    },
    final(callback) {
      writer.close().then(() => callback(), () => callback());
    },
    destroy(error, callback) {
      closeConn();
      callback(error);
    },
  });
  return duplex;
}
