/**
 * Fuzz target: the gateway's pooled HTTP/1.1 upstream client (the real
 * `createProxyClient`, its head parser and its three body framings) reading
 * mutated responses from an in-memory upstream (see `_fake_upstream.ts`).
 *
 * Oracle, per case: the client never throws anything but its own errors and
 * never hangs; a response it accepts has the status and body the reference
 * model (`_response_reference.ts`) reads from the same bytes; it reuses the
 * connection only when the model says the framing ended cleanly at the last
 * byte, and then a canary request on it gets the canary response intact.
 * @module
 */
import { ClientBodyError } from "../../src/dataplane/request_body.ts";
import { createProxyClient } from "../../src/dataplane/upstream_client.ts";
import { UpstreamError, type UpstreamResponse } from "../../src/dataplane/upstream_types.ts";
import { FakeUpstream } from "./_fake_upstream.ts";
import { RESPONSE_SEEDS } from "./_http_corpus.ts";
import { mutate } from "./_mutators.ts";
import { Prng } from "./_prng.ts";
import { referenceResponse, type ReferenceResult } from "./_response_reference.ts";
import type { CaseFailure, FuzzTarget } from "./_runner.ts";

const CANARY = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nX-Canary: 1\r\n\r\ncanary";
const ENDPOINT = { address: "192.0.2.1", port: 80 };

type Outcome =
  | { kind: "ok"; status: number; body: string }
  | { kind: "error"; error: unknown };

async function readBody(res: UpstreamResponse): Promise<string> {
  if (res.body === null) return "";
  if (res.body instanceof Uint8Array) return String.fromCharCode(...res.body);
  let out = "";
  for await (const chunk of res.body) {
    for (let i = 0; i < chunk.length; i += 4096) {
      out += String.fromCharCode(...chunk.subarray(i, i + 4096));
    }
  }
  return out;
}

async function exchange(
  client: ReturnType<typeof createProxyClient>,
  method: string,
  path: string,
): Promise<Outcome> {
  try {
    const res = await client.request("http", ENDPOINT, {
      method,
      target: path,
      headers: ["host", "fuzz.example"],
      body: null,
      contentLength: null,
    }, { timeoutMs: 0 });
    return { kind: "ok", status: res.status, body: await readBody(res) };
  } catch (error) {
    return { kind: "error", error };
  }
}

function compare(ref: ReferenceResult, got: Outcome): string | undefined {
  if (got.kind === "error") {
    const e = got.error;
    if (!(e instanceof UpstreamError) && !(e instanceof ClientBodyError)) {
      return `client failed with a foreign error: ${(e as Error)?.stack ?? e}`;
    }
    if (ref.kind === "ok") {
      return `client refused what the reference accepts: ${(e as Error).message}`;
    }
    return undefined;
  }
  if (ref.kind === "reject") return `client accepted what the reference refuses (${ref.reason})`;
  if (ref.kind === "either") return undefined;
  if (got.status !== ref.status) return `status ${got.status}, reference ${ref.status}`;
  if (got.body !== ref.body) {
    return `body ${JSON.stringify(got.body.slice(0, 80))}, reference ${
      JSON.stringify(ref.body.slice(0, 80))
    }`;
  }
  return undefined;
}

/** What the cases of a run did. */
export interface UpstreamCounts {
  accepted: number;
  refused: number;
  reused: number;
}

/**
 * Runs one case in the given fake upstream; `fixed` replays a known input
 * instead of a mutated one.
 */
export async function upstreamCase(
  upstream: FakeUpstream,
  rng: Prng,
  fixed?: { input: string; method: string },
  counts: UpstreamCounts = { accepted: 0, refused: 0, reused: 0 },
): Promise<CaseFailure | undefined> {
  const input = fixed?.input ?? mutate(rng.pick(RESPONSE_SEEDS), rng, RESPONSE_SEEDS);
  const method = fixed?.method ?? (rng.chance(0.1) ? "HEAD" : "GET");
  upstream.conns.length = 0;
  upstream.rng = rng;
  upstream.script = (_conn, request) => request.includes("/canary ") ? CANARY : input;
  // Small buffers sometimes, so Content-Length bodies also take the streamed path.
  const client = createProxyClient({ bufferBodyBytes: rng.pick([0, 3, 64 * 1024]) });
  try {
    const ref = referenceResponse(input, method);
    const got = await upstream.settle(exchange(client, method, "/case"));
    const wrong = compare(ref, got);
    if (wrong !== undefined) return { input, message: `${method}: ${wrong}` };
    counts[got.kind === "ok" ? "accepted" : "refused"]++;
    const caseConn = upstream.conns[0];
    const canary = await upstream.settle(exchange(client, "GET", "/canary"));
    const reused = caseConn !== undefined && caseConn.requests.length > 1;
    if (reused) counts.reused++;
    if (reused && (ref.kind !== "ok" || !ref.reusable)) {
      return {
        input,
        message: `${method}: connection reused after framing the reference calls unusable`,
      };
    }
    if (canary.kind !== "ok" || canary.status !== 200 || canary.body !== "canary") {
      const seen = canary.kind === "ok"
        ? `${canary.status} ${JSON.stringify(canary.body.slice(0, 80))}`
        : String(canary.error);
      return {
        input,
        message: `${method}: canary after the case came back as ${seen} (reused: ${reused})`,
      };
    }
    return undefined;
  } finally {
    client.close();
    for (const c of upstream.conns) if (!c.closed) c.close();
  }
}

/** The target for {@linkcode runFuzz}: `Deno.connect` is replaced while it runs. */
export function upstreamTarget(): FuzzTarget {
  const upstream = new FakeUpstream(new Prng(0));
  const counts: UpstreamCounts = { accepted: 0, refused: 0, reused: 0 };
  return {
    name: "upstream",
    open() {
      upstream.install();
      return Promise.resolve();
    },
    run: (caseRng) => upstreamCase(upstream, caseRng, undefined, counts),
    summary: () =>
      `${counts.accepted} accepted, ${counts.refused} refused, ${counts.reused} connections reused`,
    close() {
      upstream.uninstall();
      return Promise.resolve();
    },
  };
}
