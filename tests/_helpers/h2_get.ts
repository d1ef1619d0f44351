/**
 * One HTTP/2 GET of `/` for `a.example` through `node:http2`, for the
 * response-trailer tests: what the client got, body, trailers and the
 * protocol the connection settled on.
 * @module
 */
import http2 from "node:http2";

/** What {@linkcode h2Get} saw. */
export interface H2Got {
  body: string;
  trailers: http2.IncomingHttpHeaders;
  /** The ALPN protocol over TLS; `false` in cleartext. */
  alpn: string;
}

/** Options of {@linkcode h2Get}. */
export interface H2GetOptions {
  /** Over TLS with SNI `a.example`, trusting this PEM CA; absent: h2c by prior knowledge. */
  ca?: string;
  /** Send `te: trailers` (default: no). */
  te?: boolean;
}

/**
 * Sends the request to loopback `port` and resolves once the response ended.
 *
 * @example
 * ```ts
 * import { h2Get } from "./h2_get.ts";
 * const got = await h2Get(8080, { te: true });
 * console.log(got.body, got.trailers["x-checksum"]);
 * ```
 */
export function h2Get(port: number, options: H2GetOptions = {}): Promise<H2Got> {
  return new Promise((resolve, reject) => {
    // Dialled at loopback by address: no name lookup leaves the machine.
    const session = options.ca === undefined
      ? http2.connect(`http://127.0.0.1:${port}`)
      : http2.connect(`https://127.0.0.1:${port}`, { servername: "a.example", ca: options.ca });
    session.on("error", reject);
    const req = session.request({
      ":path": "/",
      ":authority": "a.example",
      ...(options.te ? { te: "trailers" } : {}),
    });
    let body = "";
    let trailers: http2.IncomingHttpHeaders = {};
    req.setEncoding("utf8");
    req.on("data", (d: string) => body += d);
    req.on("trailers", (t) => trailers = t);
    req.on("end", () => {
      const alpn = String(session.alpnProtocol);
      session.close();
      resolve({ body, trailers, alpn });
    });
    req.on("error", reject);
    req.end();
  });
}
