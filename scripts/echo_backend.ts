/**
 * A small HTTP backend that answers every request with a JSON description of
 * what it received, so a person (the demo) or a test can see what the gateway
 * forwarded: which backend, the path after rewrites, the headers after filters.
 *
 * Request controls (read by tests):
 * - header `x-echo-delay: <ms>` (or query `echo_delay=<ms>`): wait before answering;
 * - header `x-echo-status: <code>`: answer with that status.
 *
 * Run alone: `deno run --allow-net scripts/echo_backend.ts users 127.0.0.1:3001`.
 *
 * @example
 * ```ts ignore
 * import { startEchoBackend } from "./echo_backend.ts";
 * const backend = startEchoBackend({ name: "users", hostname: "127.0.0.1", port: 0 });
 * console.log(backend.port);
 * await backend.close();
 * ```
 * @module
 */

/** What the echo backend answers (the JSON body). */
export interface EchoReply {
  backend: string;
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string;
}

/** Options of {@linkcode startEchoBackend}. */
export interface EchoBackendOptions {
  name: string;
  hostname?: string;
  /** 0 picks a free port. */
  port?: number;
}

/** A running echo backend. */
export interface EchoBackend {
  name: string;
  port: number;
  /** Requests answered so far. */
  count(): number;
  /** Requests that have arrived so far, answered or not (tests wait on it: "in flight now"). */
  received(): number;
  close(): Promise<void>;
}

/** Starts an echo backend; resolves its port synchronously (`Deno.serve` binds at once). */
export function startEchoBackend(options: EchoBackendOptions): EchoBackend {
  let answered = 0;
  let received = 0;
  const server = Deno.serve(
    { hostname: options.hostname ?? "127.0.0.1", port: options.port ?? 0, onListen() {} },
    async (request) => {
      received += 1;
      const url = new URL(request.url);
      const delay = Number(
        request.headers.get("x-echo-delay") ?? url.searchParams.get("echo_delay") ?? 0,
      );
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(delay, 60_000)));
      const status = Number(request.headers.get("x-echo-status") ?? 200);
      const reply: EchoReply = {
        backend: options.name,
        method: request.method,
        path: url.pathname,
        query: url.search.replace(/^\?/, ""),
        headers: Object.fromEntries(request.headers),
        body: await request.text(),
      };
      answered += 1;
      return new Response(JSON.stringify(reply, null, 2) + "\n", {
        status: status >= 200 && status <= 599 ? status : 200,
        headers: { "content-type": "application/json", "x-echo-backend": options.name },
      });
    },
  );
  return {
    name: options.name,
    port: (server.addr as Deno.NetAddr).port,
    count: () => answered,
    received: () => received,
    close: () => server.shutdown(),
  };
}

if (import.meta.main) {
  const [name = "echo", address = "127.0.0.1:3001"] = Deno.args;
  const colon = address.lastIndexOf(":");
  const backend = startEchoBackend({
    name,
    hostname: address.slice(0, colon),
    port: Number(address.slice(colon + 1)),
  });
  // deno-lint-ignore no-console
  console.log(`echo backend "${name}" listening on ${address.slice(0, colon)}:${backend.port}`);
}
