/**
 * A backend for the request-path fuzzer that records every request it
 * reads in full (method, target, headers, body) and numbers it; the answer
 * carries the number (`x-seen`), so the fuzzer can match what reached the
 * backend with what came back to the client.
 * @module
 */

/** One request as the backend read it. */
export interface SeenRequest {
  seq: number;
  method: string;
  target: string;
  headers: Headers;
  body: string;
}

/** A running recording backend. */
export interface RecordingBackend extends AsyncDisposable {
  port: number;
  /** Requests read in full so far, in arrival order. */
  readonly seen: SeenRequest[];
}

function targetOf(url: string): string {
  const path = url.indexOf("/", url.indexOf("//") + 2);
  return path === -1 ? "/" : url.slice(path);
}

/** Starts the backend on a free loopback port. */
export function startRecordingBackend(): RecordingBackend {
  const seen: SeenRequest[] = [];
  let next = 1;
  const server = Deno.serve(
    {
      hostname: "127.0.0.1",
      port: 0,
      onListen() {},
      onError: () => new Response(null, { status: 599 }),
    },
    async (request) => {
      const seq = next++;
      // Not `new URL`: a Host such as `fuzz.1.1` is fine on the wire but not a WHATWG host.
      const target = targetOf(request.url);
      // A body the gateway stops sending half-way fails here: the request is not recorded.
      const bytes = new Uint8Array(await request.arrayBuffer());
      let body = "";
      for (const b of bytes) body += String.fromCharCode(b);
      seen.push({
        seq,
        method: request.method,
        target,
        headers: request.headers,
        body,
      });
      return new Response(`seen ${seq}\n`, { headers: { "x-seen": String(seq) } });
    },
  );
  return {
    port: (server.addr as Deno.NetAddr).port,
    seen,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}
