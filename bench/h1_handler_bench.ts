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
import { benchHandlers, reportRuns } from "./_handler_bench.ts";

const requests = Number(flag("requests", "100000"));
const connections = Number(flag("connections", "50"));
const runs = Number(flag("runs", "7"));
const root = checkoutRoot();

const { serveH1 } = await import(`${root}src/dataplane/h1/h1_connection.ts`);

const REQUEST = new TextEncoder().encode(
  "GET /bench HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nuser-agent: h2load nghttp2/1.52.0\r\n" +
    "accept: */*\r\n\r\n",
);

/**
 * A client connection that sends `count` requests, each once the answer
 * before it was written, as a keep-alive client does: a read made before
 * that (the server reads ahead to see the client leave) is handed the next
 * request a few turns of the microtask queue after the answer's write, as
 * the next request of a real client comes after the server is done with
 * the answer (a read made after the write waits as many turns). Each read
 * hands over one request, and the read after the last one finds the end.
 */
/** A few turns of the microtask queue: the server's work after a write is done by then. */
function later(): Promise<void> {
  return Promise.resolve().then().then().then().then();
}

class ScriptedClient {
  readonly localAddr = { transport: "tcp", hostname: "127.0.0.1", port: 8080 } as Deno.NetAddr;
  readonly remoteAddr = { transport: "tcp", hostname: "127.0.0.1", port: 40000 } as Deno.NetAddr;
  #left: number;
  answered = 0;
  reads = 0;
  #sent = 0;
  #waiting: { buf: Uint8Array; resolve: (n: number | null) => void } | undefined;

  constructor(count: number) {
    this.#left = count;
  }

  read(buf: Uint8Array): Promise<number | null> {
    this.reads++;
    if (this.#sent > this.answered) {
      return new Promise((resolve) => this.#waiting = { buf, resolve });
    }
    // The same turns as a read that waited: both servers pay them alike.
    return later().then(() => this.#next(buf));
  }

  #next(buf: Uint8Array): number | null {
    if (this.#left === 0) return null;
    this.#left--;
    this.#sent++;
    buf.set(REQUEST);
    return REQUEST.length;
  }

  write(bytes: Uint8Array): Promise<number> {
    this.answered++;
    const waiting = this.#waiting;
    if (waiting !== undefined && this.#sent === this.answered) {
      this.#waiting = undefined;
      later().then(() => waiting.resolve(this.#next(waiting.buf)));
    }
    return Promise.resolve(bytes.length);
  }

  close(): void {}
  setNoDelay(): void {}
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
