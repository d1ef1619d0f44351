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
import type { KubeConnection } from "./kubeconfig.ts";
import type { KubeTransport } from "./transport_types.ts";

export type { KubeRequestInit, KubeTransport } from "./transport_types.ts";

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

/**
 * The `node:https` transport, loaded only for this setting: `node:https` and
 * the `node:tls` under it are a sizeable part of start-up, before the first
 * list request, for a setting few connections use.
 */
function insecureTransport(
  conn: Pick<KubeConnection, "clientCert" | "clientKey">,
): KubeTransport {
  const made = import("./insecure_transport.ts").then((m) => m.createInsecureTransport(conn));
  return {
    fetch: async (url, init) => (await made).fetch(url, init),
    close: () => {
      // A module that cannot load failed every request already; nothing to close.
      made.then((t) => t.close(), () => {});
    },
  };
}
