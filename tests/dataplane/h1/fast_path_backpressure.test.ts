/**
 * A client that stops reading a long response must not make the own
 * HTTP/1.1 server's fast path buffer the body: the backend's body is read
 * only as fast as the client's socket takes it. The client's connection is
 * a scripted `Deno.Conn` whose writes complete only when the test says so
 * (a full socket buffer, without depending on kernel buffer sizes), and the
 * backend's body is a stream that counts what the server pulls from it.
 */
import { assert, assertEquals } from "@std/assert";
import { serveH1 } from "../../../src/dataplane/h1/h1_connection.ts";
import { createDataPlaneHandlers } from "../../../src/dataplane/handler.ts";
import type { ProxyClient } from "../../../src/dataplane/upstream_client.ts";
import type { UpstreamResponse } from "../../../src/dataplane/upstream_types.ts";
import { compileRouteTable } from "../../../src/router/compile_route_table.ts";
import { backend, testConfig } from "../_config.ts";
import { bytesOf } from "./_h1_harness.ts";

const CHUNK_BYTES = 256 * 1024;

/** A client connection: one request in, then silence; each write waits for `release`. */
class StalledClient {
  readonly writes: number[] = [];
  #request: Uint8Array | undefined = bytesOf("GET /big HTTP/1.1\r\nHost: a.example\r\n\r\n");
  #readEnd: ((n: null) => void) | undefined;
  #releaseWrite: (() => void) | undefined;
  #onWrite: (() => void) | undefined;
  #closed = false;
  readonly localAddr = { transport: "tcp", hostname: "127.0.0.1", port: 80 } as Deno.NetAddr;
  readonly remoteAddr = { transport: "tcp", hostname: "127.0.0.1", port: 40000 } as Deno.NetAddr;

  read(buf: Uint8Array): Promise<number | null> {
    const request = this.#request;
    if (request === undefined) return new Promise((resolve) => this.#readEnd = resolve);
    this.#request = undefined;
    buf.set(request);
    return Promise.resolve(request.length);
  }

  write(bytes: Uint8Array): Promise<number> {
    if (this.#closed) return Promise.reject(new Deno.errors.BadResource("closed"));
    this.writes.push(bytes.length);
    this.#onWrite?.();
    return new Promise((resolve, reject) =>
      this.#releaseWrite = () =>
        this.#closed ? reject(new Deno.errors.BadResource("closed")) : resolve(bytes.length)
    );
  }

  /** Resolves at the next write (or at once when one is pending). */
  nextWrite(): Promise<void> {
    if (this.#releaseWrite !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.#onWrite = resolve);
  }

  /** Lets the pending write complete. */
  release(): void {
    const release = this.#releaseWrite;
    this.#releaseWrite = undefined;
    release?.();
  }

  close(): void {
    this.#closed = true;
    this.#readEnd?.(null);
    this.release();
  }

  setNoDelay(): void {}
}

/** Yields to the event loop a few times, so anything the server would do next has run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("fast path: a client that stops reading holds the backend's body at a few chunks, and leaving cancels it", async () => {
  let pulled = 0;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      controller.enqueue(new Uint8Array(CHUNK_BYTES));
    },
    cancel() {
      cancelled = true;
    },
  });
  const answer: UpstreamResponse = { status: 200, headers: [], body, contentLength: null };
  const upstream = {
    request: () => Promise.resolve(answer),
    stats: () => ({}),
    close() {},
  } as unknown as ProxyClient;
  const table = compileRouteTable(testConfig(80, [{ path: "/", backends: [backend("b", [1])] }]));
  const handlers = createDataPlaneHandlers({
    getTable: () => table,
    port: 80,
    scheme: "http",
    upstream,
  });
  let fastAnswers = 0;
  const client = new StalledClient();
  const served = serveH1(client as unknown as Deno.Conn, {
    handler: handlers.handle,
    fields: (req, info) => {
      fastAnswers++;
      return handlers.fields(req, info);
    },
    onError: () => new Response("failed", { status: 500 }),
    scheme: "http",
  });
  for (let write = 0; write < 8; write++) {
    await client.nextWrite();
    await settle();
    // The head, then one chunk per write: at most the chunk being written and
    // the one the stream keeps queued are read ahead of the client.
    assert(pulled <= write + 2, `pulled ${pulled} chunks by write ${write + 1}`);
    client.release();
  }
  assertEquals(fastAnswers, 1);
  assertEquals(client.writes.length, 8);
  assert(client.writes.slice(1).every((n) => n > CHUNK_BYTES), `${client.writes}`);
  // The client goes away mid-body: the server stops and cancels the backend's body.
  served.close();
  await served.finished;
  await settle();
  assert(cancelled, "the backend's body was not cancelled");
});
