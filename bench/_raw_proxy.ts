/**
 * The ceiling of an HTTP/1.1 proxy on this runtime below `Deno.serve`:
 * `Deno.listen` and `Deno.connect` with the fewest operations per request
 * (one read of the request head, one write upstream, one read of the
 * response, one write back), no Request/Response/Headers objects, the
 * forwarded headers nginx's bench config sets (`Host`, `X-Forwarded-For`,
 * `-Proto`, `-Host`). Requests without a body and Content-Length responses
 * only (a kept-alive upstream connection the backend closed while idle is
 * replaced once), one request at a time per connection, no limits, no timeouts: a
 * yardstick for an HTTP/1.1 engine over raw sockets, never something to
 * serve with. With `--cert`/`--key` (PEM files) the client side is
 * `Deno.listenTls` instead: the same proxy over TLS, i.e. what Deno's TLS
 * stack costs on a kept-alive connection with nothing else on the path.
 *
 * ```sh
 * deno run --allow-net bench/_raw_proxy.ts --port 8081 --backend-port 8082
 * deno run --allow-net --allow-read bench/_raw_proxy.ts --port 8443 --backend-port 8082 --cert tls.crt --key tls.key
 * ```
 * @module
 */
import { maybeFlag, requiredIntFlag } from "./_flags.ts";
import { clientResponseHead, forwardedRequestHead } from "./_raw_heads.ts";

const flag = (name: string) => requiredIntFlag(name, "the raw proxy");
const path = maybeFlag;

const port = flag("port");
const backendPort = flag("backend-port");
const [certFile, keyFile] = [path("cert"), path("key")];
const scheme = certFile ? "https" : "http";
const encoder = new TextEncoder();
const decoder = new TextDecoder("latin1");

interface Upstream {
  conn: Deno.TcpConn;
  buf: Uint8Array;
}
const idle: Upstream[] = [];

async function connectUpstream(): Promise<Upstream> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: backendPort });
  conn.setNoDelay(true);
  return { conn, buf: new Uint8Array(64 * 1024) };
}

/** Reads until `buf[0, end)` holds a full head; the index past its blank line, or -1 on EOF. */
async function readHead(conn: Deno.Conn, buf: Uint8Array, end: number): Promise<[number, number]> {
  for (;;) {
    const text = decoder.decode(buf.subarray(0, end));
    const at = text.indexOf("\r\n\r\n");
    if (at !== -1) return [at + 4, end];
    const n = await conn.read(buf.subarray(end));
    if (n === null) return [-1, end];
    end += n;
  }
}

/** Forwards one request head (no body) and returns the client's response bytes. */
async function exchange(head: string, remote: string): Promise<Uint8Array> {
  const out = encoder.encode(forwardedRequestHead(head, remote, scheme));
  const kept = idle.pop();
  if (kept !== undefined) {
    try {
      return await exchangeOn(kept, out);
    } catch {
      // The backend closed it while it was idle (nginx after its keepalive_timeout, 75 s in
      // the bench, shorter than a --ceiling run's other targets take): once more on a new one.
      kept.conn.close();
    }
  }
  return await exchangeOn(await connectUpstream(), out);
}

/** Sends `out` on `up`, reads its Content-Length response and puts `up` back in the pool. */
async function exchangeOn(up: Upstream, out: Uint8Array): Promise<Uint8Array> {
  await up.conn.write(out);
  const [headEnd, end0] = await readHead(up.conn, up.buf, 0);
  if (headEnd === -1) throw new Error("Upstream closed the connection");
  let end = end0;
  const { head: resHead, length } = clientResponseHead(
    decoder.decode(up.buf.subarray(0, headEnd)),
  );
  while (end < headEnd + length) {
    const n = await up.conn.read(up.buf.subarray(end));
    if (n === null) throw new Error("Upstream closed the connection");
    end += n;
  }
  const headBytes = encoder.encode(resHead);
  const res = new Uint8Array(headBytes.length + length);
  res.set(headBytes);
  res.set(up.buf.subarray(headEnd, headEnd + length), headBytes.length);
  idle.push(up);
  return res;
}

async function serve(conn: Deno.TcpConn | Deno.TlsConn): Promise<void> {
  if ("setNoDelay" in conn) conn.setNoDelay(true);
  const remote = (conn.remoteAddr as Deno.NetAddr).hostname;
  const buf = new Uint8Array(16 * 1024);
  let end = 0;
  try {
    for (;;) {
      const [headEnd, filled] = await readHead(conn, buf, end);
      if (headEnd === -1) return;
      const head = decoder.decode(buf.subarray(0, headEnd));
      await conn.write(await exchange(head, remote));
      buf.copyWithin(0, headEnd, filled);
      end = filled - headEnd;
    }
  } catch {
    // A client or upstream gone mid-request: drop the connection.
  } finally {
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

const listener: Deno.Listener<Deno.TcpConn | Deno.TlsConn> = certFile && keyFile
  ? Deno.listenTls({
    hostname: "127.0.0.1",
    port,
    cert: await Deno.readTextFile(certFile),
    key: await Deno.readTextFile(keyFile),
    alpnProtocols: ["http/1.1"],
  })
  : Deno.listen({ hostname: "127.0.0.1", port });
// Exit on SIGTERM, so a `--cpu-prof` profile is written.
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
for await (const conn of listener) serve(conn);
