/**
 * The proxy benchmark's ceiling: the least an HTTP/1.1 upstream client over
 * `Deno.connect` can do per request (pooled keep-alive sockets with Nagle
 * off, head and body in one write, one read for a small response, its
 * `Content-Length` body handed over as bytes, a kept-alive connection the
 * backend closed while idle replaced once). No chunked bodies, no
 * streaming, no timeouts, no limits, no validation: it is a yardstick for
 * what the complete client (`src/dataplane/upstream_http1.ts`) costs on top,
 * never something to serve with.
 * @module
 */
import type { ProxyClient } from "../src/dataplane/upstream_client.ts";
import type { UpstreamResponse } from "../src/dataplane/upstream_types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder("latin1");

/** Sends one request on `conn` and reads a Content-Length response. */
async function exchange(
  conn: Deno.TcpConn,
  buf: Uint8Array,
  head: string,
  body: Uint8Array | null,
): Promise<UpstreamResponse> {
  const bytes = encoder.encode(head);
  await conn.write(body === null ? bytes : concat(bytes, body));
  let end = 0;
  for (;;) {
    const n = await conn.read(buf.subarray(end));
    if (n === null) throw new Error("Upstream closed the connection");
    end += n;
    const text = decoder.decode(buf.subarray(0, end));
    const headEnd = text.indexOf("\r\n\r\n");
    if (headEnd === -1) continue;
    const headers: [string, string][] = [];
    let length = 0;
    for (const line of text.slice(0, headEnd).split("\r\n").slice(1)) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === "content-length") length = Number(value);
      else if (name !== "connection") headers.push([name, value]);
    }
    while (end < headEnd + 4 + length) {
      const more = await conn.read(buf.subarray(end));
      if (more === null) throw new Error("Upstream closed the connection");
      end += more;
    }
    return {
      status: Number(text.slice(9, 12)),
      headers,
      body: buf.slice(headEnd + 4, headEnd + 4 + length),
      contentLength: null,
    };
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * A pooled minimal client in the `ProxyClient` shape.
 *
 * @example
 * ```ts ignore
 * import { createMinimalClient } from "./_minimal_client.ts";
 * const client = createMinimalClient();
 * ```
 */
export function createMinimalClient(): ProxyClient {
  const idle = new Map<string, { conn: Deno.TcpConn; buf: Uint8Array }[]>();
  return {
    async request(_protocol, ep, req) {
      const key = ep.address + ":" + ep.port;
      let stack = idle.get(key);
      if (stack === undefined) idle.set(key, stack = []);
      const body = req.body === null
        ? null
        : new Uint8Array(await new Response(req.body).arrayBuffer());
      let head = `${req.method} ${req.target} HTTP/1.1\r\n`;
      for (let i = 0; i < req.headers.length; i += 2) {
        head += `${req.headers[i]}: ${req.headers[i + 1]}\r\n`;
      }
      head += body === null ? "\r\n" : `content-length: ${body.length}\r\n\r\n`;
      const kept = stack.pop();
      if (kept !== undefined) {
        try {
          const res = await exchange(kept.conn, kept.buf, head, body);
          stack.push(kept);
          return res;
        } catch {
          // The backend closed it while it was idle (nginx after its keepalive_timeout, 75 s
          // in the bench, shorter than a --ceiling run's other targets take): once more on a
          // new connection, as any client of a pool must.
          kept.conn.close();
        }
      }
      const conn = await Deno.connect({ hostname: ep.address, port: ep.port });
      conn.setNoDelay(true);
      const c = { conn, buf: new Uint8Array(64 * 1024) };
      const res = await exchange(c.conn, c.buf, head, body);
      stack.push(c);
      return res;
    },
    stats: () => ({ connectsTotal: 0, idle: 0, retriesTotal: 0 }),
    close() {
      for (const stack of idle.values()) for (const c of stack) c.conn.close();
    },
  };
}
