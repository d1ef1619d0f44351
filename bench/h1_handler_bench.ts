/**
 * The server-and-handler half of a proxied HTTP/1.1 request, in one
 * process and without sockets: our HTTP/1.1 server (`h1/h1_connection.ts`)
 * on scripted client connections whose reads hand over one request at a
 * time and whose writes complete at once, the port's handler with its fast
 * path and the metrics observer, and an upstream client that answers every
 * request at once with a small body, as the pooled client gives a backend's
 * answer that came with its head. What is left is the JavaScript a
 * request costs on our side, with no kernel and no other process in it, so
 * two checkouts can be compared on a busy machine: the process's CPU time
 * per request (not wall time, which a busy machine stretches), the best of
 * `--runs` runs and the median beside it.
 *
 * ```sh
 * deno run --allow-read --v8-flags=--max-semi-space-size=4 bench/h1_handler_bench.ts [--requests 100000] [--connections 50] [--runs 7] [--root DIR]
 * ```
 *
 * `--root DIR` runs the server and handler of another checkout (e.g. the
 * commit a change started from) with this driver.
 * @module
 */
import { checkoutRoot, flag } from "./_flags.ts";
import { cpuUsage } from "node:process";
import { benchHandlers, reportRuns, ScriptedConnection } from "./_handler_bench.ts";

const requests = Number(flag("requests", "100000"));
const connections = Number(flag("connections", "50"));
const runs = Number(flag("runs", "7"));
const root = checkoutRoot();

const { serveH1 } = await import(`${root}src/dataplane/h1/h1_connection.ts`);

const REQUEST = new TextEncoder().encode(
  "GET /bench HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nuser-agent: h2load nghttp2/1.52.0\r\n" +
    "accept: */*\r\n\r\n",
);

/** A client connection that sends `count` requests, one a turn, each once the one before was answered. */
class ScriptedClient extends ScriptedConnection {
  protected fill(buf: Uint8Array): number {
    this.sent++;
    buf.set(REQUEST);
    return REQUEST.length;
  }

  protected heard(): void {
    this.answered++;
  }
}

const { handle, fields, onError } = await benchHandlers(root);

async function run(total: number): Promise<number> {
  const per = Math.ceil(total / connections);
  const clients = Array.from({ length: connections }, () => new ScriptedClient(per));
  const started = cpuUsage();
  await Promise.all(
    clients.map((c) =>
      serveH1(c as unknown as Deno.Conn, { handler: handle, fields, onError, scheme: "http" })
        .finished
    ),
  );
  const used = cpuUsage(started);
  const answered = clients.reduce((sum, c) => sum + c.answered, 0);
  if (answered !== per * connections) {
    throw new Error(`Cannot trust the run: ${answered} answers for ${per * connections} requests`);
  }
  const reads = clients.reduce((sum, c) => sum + c.reads, 0);
  if (reads !== answered + connections) {
    throw new Error(`Cannot trust the run: ${reads} reads for ${answered} requests`);
  }
  return (used.user + used.system) / answered;
}

await reportRuns(root, run, {
  warmup: Math.min(requests, 20_000),
  runs,
  requests,
  what: `on ${connections} connections`,
});
