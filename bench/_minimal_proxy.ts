/**
 * The measured ceiling of a proxy in this runtime: `Deno.serve` and the
 * minimal pooled client of `_minimal_client.ts`, with nothing between them
 * but the forwarded headers nginx's bench config sets (`Host`,
 * `X-Forwarded-For`, `-Proto`, `-Host`). No routing, no policy, no metrics:
 * what a complete gateway on this runtime is compared with.
 *
 * ```sh
 * deno run --allow-net bench/_minimal_proxy.ts --port 8081 --backend-port 8082 [--own-server]
 * ```
 * @module
 */
import { requiredIntFlag } from "./_flags.ts";
import { createMinimalClient } from "./_minimal_client.ts";
import { serveConnections } from "../src/dataplane/connection_server.ts";
import { silentLogger } from "../src/log/logger.ts";

const flag = (name: string) => requiredIntFlag(name, "the minimal proxy");

const port = flag("port");
const endpoint = { address: "127.0.0.1", port: flag("backend-port") };
const client = createMinimalClient();
const handler = async (req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => {
  const host = req.headers.get("host") ?? "";
  const headers = ["host", host];
  for (const [name, value] of req.headers) {
    if (name !== "host" && name !== "connection") headers.push(name, value);
  }
  headers.push(
    "x-forwarded-for",
    info.remoteAddr.hostname,
    "x-forwarded-proto",
    "http",
    "x-forwarded-host",
    host,
  );
  const url = req.url;
  const target = url.slice(url.indexOf("/", url.indexOf("//") + 2));
  const res = await client.request("http", endpoint, {
    method: req.method,
    target,
    headers,
    body: req.body,
    contentLength: null,
  }, { timeoutMs: 0 });
  return new Response(res.body as Uint8Array<ArrayBuffer>, {
    status: res.status,
    headers: res.headers,
  });
};
if (Deno.args.includes("--own-server")) {
  // The gateway's own accept loop (`connection_server.ts`) instead of `Deno.serve`'s.
  serveConnections({
    listener: Deno.listen({ hostname: "127.0.0.1", port }),
    handler,
    onError: () => new Response("Internal error\n", { status: 500 }),
    logger: silentLogger,
  });
} else {
  Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, handler);
}
// Exit on SIGTERM, so a `--cpu-prof` profile is written.
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
