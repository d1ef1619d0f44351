/**
 * A gateway on our HTTP/1.1 server and the pooled HTTP/1.1 client in front
 * of a scripted backend that records the exact bytes of each request head
 * it is sent and answers each with the next of its scripted answers (given
 * as latin-1 text, so any byte can be written). Tests compare what a
 * client and the backend see, byte for byte, through real sockets.
 * @module
 */
import { createDataPlaneHandlers } from "../../src/dataplane/handler.ts";
import { createProxyClient } from "../../src/dataplane/upstream_client.ts";
import type { IncomingRequest } from "../../src/dataplane/field_headers.ts";
import { compileRouteTable } from "../../src/router/compile_route_table.ts";
import { backend, testConfig, type TestRule } from "./_config.ts";
import { bytesOf, startH1 } from "./h1/_h1_harness.ts";

const latin1 = new TextDecoder("latin1");

/** The gateway, its backend, and what the backend was sent. */
export interface ByteRig extends AsyncDisposable {
  /** The gateway's port. */
  port: number;
  /** Each request head the backend read, through its empty line, as latin-1 text. */
  heads: string[];
}

/** What else {@linkcode startByteRig} does. */
export interface ByteRigOptions {
  /**
   * Called with each request the gateway's fast path served, once the
   * handler's call returned (what the server does next, such as reading
   * into the client's buffer again, may be played here).
   */
  afterFields?: (req: IncomingRequest) => void;
}

/**
 * Starts the backend answering with `answers` in turn (the last one again
 * once they run out), or with what `answers` makes of each request head
 * (`null`: the connection is closed unanswered, as a backend closing a kept
 * connection the moment a request comes), and a gateway with `rules` (the
 * backend is filled in for a rule without backends).
 */
export function startByteRig(
  answers: string[] | ((head: string) => string | null),
  rules: TestRule[] = [{ path: "/" }],
  options: ByteRigOptions = {},
): ByteRig {
  const heads: string[] = [];
  let next = 0;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const backendPort = (listener.addr as Deno.NetAddr).port;
  const open = new Set<Deno.Conn>();
  const tasks: Promise<void>[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      open.add(conn);
      tasks.push((async () => {
        const buf = new Uint8Array(16 * 1024);
        let text = "";
        try {
          for (;;) {
            const n = await conn.read(buf);
            if (n === null) break;
            text += latin1.decode(buf.subarray(0, n));
            let end;
            while ((end = text.indexOf("\r\n\r\n")) !== -1) {
              const head = text.slice(0, end + 4);
              heads.push(head);
              text = text.slice(end + 4);
              const answer = typeof answers === "function"
                ? answers(head)
                : answers[Math.min(next++, answers.length - 1)];
              if (answer === null) return;
              await conn.write(bytesOf(answer));
            }
          }
        } catch {
          // The gateway closed its pooled connection.
        } finally {
          if (open.delete(conn)) conn.close();
        }
      })());
    }
  })();
  const client = createProxyClient({});
  const port: { handlers?: ReturnType<typeof createDataPlaneHandlers> } = {};
  const server = startH1((req, info) => port.handlers!.handle(req, info), {
    fields: (req, info) => {
      const answer = port.handlers!.fields(req, info);
      options.afterFields?.(req);
      return answer;
    },
  });
  const withBackend = rules.map((r) => ({
    ...r,
    backends: r.backends ?? [backend("b", [backendPort])],
  }));
  const table = compileRouteTable(testConfig(server.port, withBackend));
  port.handlers = createDataPlaneHandlers({
    getTable: () => table,
    port: server.port,
    scheme: "http",
    upstream: client,
  });
  return {
    port: server.port,
    heads,
    async [Symbol.asyncDispose]() {
      client.close();
      listener.close();
      for (const conn of open) conn.close();
      open.clear();
      await serving.catch(() => {});
      await Promise.all(tasks);
      await server[Symbol.asyncDispose]();
    },
  };
}

/**
 * Sends `request` (latin-1 text) on a new connection and reads one answer
 * of known length (its `content-length`); the answer as latin-1 text.
 */
export async function askOnce(port: number, request: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(bytesOf(request));
    const buf = new Uint8Array(16 * 1024);
    let text = "";
    for (;;) {
      const end = text.indexOf("\r\n\r\n");
      if (end !== -1) {
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
        if (text.length >= end + 4 + length) return text;
      }
      const n = await conn.read(buf);
      if (n === null) throw new Error(`Connection closed inside an answer: ${text}`);
      text += latin1.decode(buf.subarray(0, n));
    }
  } finally {
    conn.close();
  }
}
