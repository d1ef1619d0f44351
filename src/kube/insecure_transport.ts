/**
 * The API transport for `insecure-skip-tls-verify`: `node:https` with
 * `rejectUnauthorized: false` (which `Deno.createHttpClient` cannot do),
 * answered as a web `Response` so the rest of the client (watch streams
 * included) is the same. `transport.ts` loads it only for that setting.
 * @module
 */
import { Agent, request as httpsRequest } from "node:https";
import { Readable } from "node:stream";
import type { KubeConnection } from "./kubeconfig.ts";
import type { KubeTransport } from "./transport_types.ts";

/** Creates the `node:https` transport that does not check the API server's certificate. */
export function createInsecureTransport(
  conn: Pick<KubeConnection, "clientCert" | "clientKey">,
): KubeTransport {
  const agent = new Agent({
    keepAlive: true,
    rejectUnauthorized: false,
    cert: conn.clientCert,
    key: conn.clientKey,
  });
  return {
    fetch: (url, init) =>
      new Promise<Response>((resolve, reject) => {
        const req = httpsRequest(url, {
          method: init.method,
          headers: Object.fromEntries(init.headers),
          agent,
          signal: init.signal,
        }, (res) => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const v of Array.isArray(value) ? value : [value]) {
              if (v !== undefined) headers.append(name, String(v));
            }
          }
          const status = res.statusCode ?? 502;
          const empty = status === 204 || status === 304 || init.method === "HEAD";
          resolve(
            new Response(
              empty ? null : Readable.toWeb(res) as ReadableStream<Uint8Array>,
              { status, statusText: res.statusMessage, headers },
            ),
          );
        });
        req.on("error", (error) => reject(init.signal?.aborted ? init.signal.reason : error));
        if (init.body !== undefined) req.write(init.body);
        req.end();
      }),
    close: () => agent.destroy(),
  };
}
