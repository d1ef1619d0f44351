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
import { createProxyClient } from "../../src/dataplane/upstream_client.ts";
import { type BodySpec, CANARY, compare, exchange } from "./_upstream_oracle.ts";
import { FakeUpstream } from "./_fake_upstream.ts";
import { RESPONSE_SEEDS } from "./_http_corpus.ts";
import { mutate } from "./_mutators.ts";
import { Prng } from "./_prng.ts";
import { referenceResponse } from "./_response_reference.ts";
import type { CaseFailure, FuzzTarget } from "./_runner.ts";

const ENDPOINT = { address: "192.0.2.1", port: 80 };

/** One to four chunks of up to 40 bytes (some empty), length declared or not. */
function randomBody(rng: Prng): BodySpec {
  const chunks: Uint8Array[] = [];
  for (let i = rng.range(1, 4); i > 0; i--) {
    chunks.push(Uint8Array.from({ length: rng.int(41) }, () => 97 + rng.int(26)));
  }
  return { chunks, declareLength: rng.chance(0.5) };
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
  const method = fixed?.method ?? rng.pick(["GET", "GET", "GET", "HEAD", "POST", "POST"]);
  // A POST streams a body while the answer may already be coming back (an early answer).
  const body = method === "POST" ? randomBody(rng) : undefined;
  upstream.early = rng.chance(0.5);
  let openGate = () => {};
  const bufferRequestBytes = rng.pick([0, 64 * 1024]);
  // A declared length within the buffer is read whole before sending: nothing to hold back then.
  const length = body?.chunks.reduce((n, c) => n + c.length, 0) ?? 0;
  const streamed = body !== undefined && (!body.declareLength || length > bufferRequestBytes);
  if (body !== undefined && streamed && upstream.early && rng.chance(0.5)) {
    // The rest of the upload comes only after the answer: the connection is mid-request.
    body.gate = new Promise((resolve) => openGate = resolve);
  }
  upstream.conns.length = 0;
  upstream.rng = rng;
  upstream.script = (_conn, request) => request.includes("/canary ") ? CANARY : input;
  // Small buffers sometimes, so Content-Length bodies also take the streamed path.
  const client = createProxyClient({
    bufferBodyBytes: rng.pick([0, 3, 64 * 1024]),
    bufferRequestBytes,
  });
  try {
    const ref = referenceResponse(input, method);
    const got = await upstream.settle(exchange(client, ENDPOINT, method, "/case", body));
    const wrong = compare(ref, got);
    if (wrong !== undefined) return { input, message: `${method}: ${wrong}` };
    counts[got.kind === "ok" ? "accepted" : "refused"]++;
    openGate();
    const caseConn = upstream.conns[0];
    const canary = await upstream.settle(exchange(client, ENDPOINT, "GET", "/canary"));
    const reused = caseConn !== undefined && caseConn.requests.length > 1;
    if (reused) counts.reused++;
    if (reused && (ref.kind !== "ok" || !ref.reusable)) {
      return {
        input,
        message: `${method}: connection reused after framing the reference calls unusable`,
      };
    }
    const desyncs = upstream.conns.flatMap((c) => c.desyncs);
    if (desyncs.length > 0) {
      return { input, message: `${method}: the upstream read a broken request stream: ${desyncs}` };
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
    openGate();
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
