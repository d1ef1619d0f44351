/**
 * What the in-process handler benches (`h1_handler_bench.ts`,
 * `h2_handler_bench.ts`) share: the port's handlers of the checkout under
 * test, in front of an upstream client that answers every request at once
 * with a small body, and the timed runs and their report. The server and
 * handler modules come from that checkout by dynamic import; this module
 * imports none of this checkout's server code, so the driver shares no
 * modules (or their optimised code) with the server under test.
 * @module
 */
// deno-lint-ignore-file no-console
import type { UpstreamResponse } from "../src/dataplane/upstream_types.ts";
import type { ProxyClient } from "../src/dataplane/upstream_client.ts";
import type { DataPlaneHandler } from "../src/dataplane/handler.ts";
import type { FieldsHandler } from "../src/dataplane/field_headers.ts";
import {
  oneListenerConfig,
  prefixHost,
  routeRule,
  testBackend,
} from "../scripts/config_fixtures.ts";

const BODY = new TextEncoder().encode("hello from the bench backend\n");

/** A backend's answer as the pooled client gives one whose small body came with its head. */
function answer(): UpstreamResponse {
  return {
    status: 200,
    headers: [
      ["server", "nginx/1.22.1"],
      ["date", "Mon, 30 Nov 2026 23:00:00 GMT"],
      ["content-type", "text/plain"],
    ],
    body: BODY.slice(),
    contentLength: null,
  };
}

const upstream: ProxyClient = {
  request: () => Promise.resolve(answer()),
  stats: () => ({ connectsTotal: 0, idle: 0, retriesTotal: 0 }),
  close() {},
};

/** What a server under test is given: the port's handlers and the answer to a handler's failure. */
export interface BenchHandlers {
  handle: DataPlaneHandler;
  fields: FieldsHandler;
  onError: () => Response;
}

/**
 * The handlers of port 8080 of the checkout at `root` (a `file:` URL ending
 * in `/`), with one catch-all route, the metrics observer and the answering
 * upstream client.
 */
export async function benchHandlers(root: string): Promise<BenchHandlers> {
  const { createDataPlaneHandlers } = await import(`${root}src/dataplane/handler.ts`);
  const { compileRouteTable } = await import(`${root}src/router/compile_route_table.ts`);
  const { createMetrics } = await import(`${root}src/admin/metrics.ts`);
  const rule = routeRule("bench", testBackend("backend", [8081]));
  const table = compileRouteTable(oneListenerConfig(8080, [prefixHost("*", rule)], [rule]));
  const { handle, fields } = createDataPlaneHandlers({
    getTable: () => table,
    port: 8080,
    scheme: "http",
    observer: createMetrics().observer,
    upstream,
  });
  return { handle, fields, onError: () => new Response("Internal error\n", { status: 500 }) };
}

/**
 * Runs `run` once over `warmup` requests (to compile the hot path), then
 * `runs` times over `requests`, and prints the best and the median of what
 * it returned (µs of CPU a request), with `what` the run's shape.
 */
export async function reportRuns(
  root: string,
  run: (requests: number) => Promise<number>,
  { warmup, runs, requests, what }: {
    warmup: number;
    runs: number;
    requests: number;
    what: string;
  },
): Promise<void> {
  await run(warmup);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await run(requests));
  times.sort((a, b) => a - b);
  console.log(
    `${root}: best ${times[0].toFixed(2)} us/request, median ${
      times[Math.floor(times.length / 2)].toFixed(2)
    } (${runs} runs of ${requests} requests ${what})`,
  );
}

/** A few turns of the microtask queue: the server's work after a write is done by then. */
function later(): Promise<void> {
  return Promise.resolve().then().then().then().then();
}

/**
 * A scripted client connection for a server under test, as a keep-alive
 * client uses one: it sends a turn of requests (`fill`), then waits until
 * the server's writes (`heard`) answered every one of them before it sends
 * the next. A read made before that (a server reads ahead to see the client
 * leave) is handed the next turn a few turns of the microtask queue after
 * the last answer's write, as a real client's next requests come after the
 * server is done with the answer; a read made after the write waits as many
 * turns, so both servers pay them alike. The read after the last turn finds
 * the end. Writes complete at once.
 */
export abstract class ScriptedConnection {
  readonly localAddr = { transport: "tcp", hostname: "127.0.0.1", port: 8080 } as Deno.NetAddr;
  readonly remoteAddr = { transport: "tcp", hostname: "127.0.0.1", port: 40000 } as Deno.NetAddr;
  /** Requests the server answered so far (counted by `heard`). */
  answered = 0;
  /** Reads the server made. */
  reads = 0;
  /** Requests sent so far (counted by `fill`). */
  protected sent = 0;
  #left: number;
  #waiting: { buf: Uint8Array; resolve: (n: number | null) => void } | undefined;

  /** `turns`: how many times `fill` is asked for requests before the end. */
  constructor(turns: number) {
    this.#left = turns;
  }

  /** Writes the next turn's requests into `buf`, adds them to `sent`, and returns their length. */
  protected abstract fill(buf: Uint8Array): number;

  /** Counts in `answered` the requests the server's `bytes` answered. */
  protected abstract heard(bytes: Uint8Array): void;

  read(buf: Uint8Array): Promise<number | null> {
    this.reads++;
    if (this.sent > this.answered) {
      return new Promise((resolve) => this.#waiting = { buf, resolve });
    }
    return later().then(() => this.#next(buf));
  }

  #next(buf: Uint8Array): number | null {
    if (this.#left === 0) return null;
    this.#left--;
    return this.fill(buf);
  }

  write(bytes: Uint8Array): Promise<number> {
    this.heard(bytes);
    const waiting = this.#waiting;
    if (waiting !== undefined && this.sent === this.answered) {
      this.#waiting = undefined;
      later().then(() => waiting.resolve(this.#next(waiting.buf)));
    }
    return Promise.resolve(bytes.length);
  }

  close(): void {}
  setNoDelay(): void {}
}
