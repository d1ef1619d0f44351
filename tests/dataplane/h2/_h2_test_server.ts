/**
 * Our HTTP/2 server on a loopback port for tests: every accepted
 * connection is served by `serveH2` with the test's handler, limits and
 * clock; disposing closes the listener and every connection.
 */
import { serveH2, type ServeH2Options } from "../../../src/dataplane/h2/h2_server.ts";
import type { ServedConnection } from "../../../src/dataplane/serve_connection.ts";

/** A running test server. */
export interface H2TestServer extends AsyncDisposable {
  port: number;
  /** Connections served so far (open or closed). */
  served: ServedConnection[];
  /** Errors the connections reported, as `code reason`. */
  errors: string[];
}

/** Starts a server; `options.handler` defaults to a 200 "ok". */
export function startH2Server(options: Partial<ServeH2Options> = {}): H2TestServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served: ServedConnection[] = [];
  const errors: string[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      served.push(serveH2(conn, new Uint8Array(0), {
        handler: () => new Response("ok"),
        onError: () => new Response("Internal error\n", { status: 500 }),
        scheme: "http",
        onConnectionError: (code, reason) => errors.push(`${code} ${reason}`),
        ...options,
      }));
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    served,
    errors,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting.catch(() => {});
      for (const s of served) s.close();
      await Promise.all(served.map((s) => s.finished));
    },
  };
}
