/**
 * The HTTP transport every API request goes through. Normally a
 * `Deno.HttpClient` with the connection's CA and client certificate. With
 * `insecure-skip-tls-verify` the API server's certificate is not checked at
 * all, which `Deno.createHttpClient` cannot do, so those requests go through
 * `node:https` with `rejectUnauthorized: false` instead, answered as a web
 * `Response` so the rest of the client (watch streams included) is the same.
 *
 * @example
 * ```ts
 * import { createKubeTransport } from "./transport.ts";
 * const transport = createKubeTransport({ caCerts: undefined });
 * transport.close();
 * ```
 * @module
 */
import { Agent, request as httpsRequest } from "node:https";
import { Readable } from "node:stream";
import type { KubeConnection } from "./kubeconfig.ts";

/** A request as the kube client sends it. */
export interface KubeRequestInit {
  method: string;
  headers: Headers;
  body?: string;
  signal?: AbortSignal;
}

/** Sends API requests; `close()` releases pooled connections. */
export interface KubeTransport {
  fetch(url: string, init: KubeRequestInit): Promise<Response>;
  close(): void;
}

/** Creates the transport for `conn`. */
export function createKubeTransport(
  conn: Pick<KubeConnection, "caCerts" | "clientCert" | "clientKey" | "insecureSkipTlsVerify">,
): KubeTransport {
  if (conn.insecureSkipTlsVerify) return insecureTransport(conn);
  const options: Deno.CreateHttpClientOptions = {};
  if (conn.caCerts) options.caCerts = conn.caCerts;
  if (conn.clientCert && conn.clientKey) {
    Object.assign(options, { cert: conn.clientCert, key: conn.clientKey });
  }
  const client = Deno.createHttpClient(options);
  return {
    fetch: (url, init) => fetch(url, { ...init, client }),
    close: () => client.close(),
  };
}

function insecureTransport(
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
