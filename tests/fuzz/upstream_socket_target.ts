/**
 * Fuzz target: the upstream client over real loopback sockets, a smaller
 * sample beside the in-memory one (`upstream_target.ts`): the same mutated
 * responses and the same oracle, from a backend that writes the bytes and
 * then keeps the connection open when the reference framing says it could
 * be reused, or closes it. TCP decides the splits here, and the pool sees
 * real closes arriving while connections sit idle.
 * @module
 */
import { createProxyClient } from "../../src/dataplane/upstream_client.ts";
import { RESPONSE_SEEDS } from "./_http_corpus.ts";
import { mutate } from "./_mutators.ts";
import type { Prng } from "./_prng.ts";
import { latin1Bytes } from "./_prng.ts";
import { referenceResponse } from "./_response_reference.ts";
import type { CaseFailure, FuzzTarget } from "./_runner.ts";
import type { UpstreamCounts } from "./upstream_target.ts";
import { CANARY, compare, exchange, type Outcome } from "./_upstream_oracle.ts";

/** A case still running this long after its bytes were written is a hang. */
const HANG_MS = 30_000;

interface CaseState {
  input: Uint8Array;
  keepOpen: boolean;
  /** Connections that answered the case, by the order they were accepted. */
  caseConns: Set<number>;
  canaryConns: Set<number>;
}

/** A loopback backend answering from the current case. */
class ScriptedBackend {
  readonly listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  readonly conns = new Set<Deno.Conn>();
  state: CaseState | undefined;
  #next = 0;
  #done: Promise<void>;

  constructor() {
    this.#done = this.#accept();
  }

  get port(): number {
    return (this.listener.addr as Deno.NetAddr).port;
  }

  async #accept(): Promise<void> {
    for await (const conn of this.listener) {
      this.conns.add(conn);
      this.#serve(conn, this.#next++).catch(() => {}).finally(() => {
        this.conns.delete(conn);
        try {
          conn.close();
        } catch { /* closed */ }
      });
    }
  }

  async #serve(conn: Deno.Conn, id: number): Promise<void> {
    let pending = "";
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return;
      for (const b of buf.subarray(0, n)) pending += String.fromCharCode(b);
      for (let end = pending.indexOf("\r\n\r\n"); end !== -1; end = pending.indexOf("\r\n\r\n")) {
        const request = pending.slice(0, end);
        pending = pending.slice(end + 4);
        const state = this.state!;
        const canary = request.includes("/canary ");
        (canary ? state.canaryConns : state.caseConns).add(id);
        await writeAll(conn, canary ? latin1Bytes(CANARY) : state.input);
        if (!canary && !state.keepOpen) return;
      }
    }
  }

  /** Closes every connection the backend holds (the end of a case). */
  dropAll(): void {
    for (const c of this.conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    this.conns.clear();
  }

  async close(): Promise<void> {
    this.listener.close();
    this.dropAll();
    await this.#done.catch(() => {});
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

/** `work`, or a failure outcome when it is still running after {@linkcode HANG_MS}. */
async function bounded(work: Promise<Outcome>): Promise<Outcome | "hung"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<"hung">((resolve) => timer = setTimeout(() => resolve("hung"), HANG_MS));
  try {
    return await Promise.race([work, hang]);
  } finally {
    clearTimeout(timer);
  }
}

async function socketCase(
  backend: ScriptedBackend,
  rng: Prng,
  counts: UpstreamCounts,
): Promise<CaseFailure | undefined> {
  const input = mutate(rng.pick(RESPONSE_SEEDS), rng, RESPONSE_SEEDS);
  const method = rng.chance(0.1) ? "HEAD" : "GET";
  const ref = referenceResponse(input, method);
  backend.state = {
    input: latin1Bytes(input),
    keepOpen: ref.kind === "ok" && ref.reusable,
    caseConns: new Set(),
    canaryConns: new Set(),
  };
  const endpoint = { address: "127.0.0.1", port: backend.port };
  const client = createProxyClient({ bufferBodyBytes: rng.pick([0, 3, 64 * 1024]) });
  try {
    const got = await bounded(exchange(client, endpoint, method, "/case"));
    if (got === "hung") {
      return { input, message: `${method}: no outcome ${HANG_MS} ms after the bytes` };
    }
    const wrong = compare(ref, got);
    if (wrong !== undefined) return { input, message: `${method}: ${wrong}` };
    counts[got.kind === "ok" ? "accepted" : "refused"]++;
    const canary = await bounded(exchange(client, endpoint, "GET", "/canary"));
    const state = backend.state;
    const reused = [...state.canaryConns].some((id) => state.caseConns.has(id));
    if (reused) counts.reused++;
    if (reused && (ref.kind !== "ok" || !ref.reusable)) {
      return {
        input,
        message: `${method}: connection reused after framing the reference calls unusable`,
      };
    }
    if (
      canary === "hung" || canary.kind !== "ok" || canary.status !== 200 || canary.body !== "canary"
    ) {
      const seen = canary === "hung"
        ? "no answer"
        : canary.kind === "ok"
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
    backend.dropAll();
  }
}

/** The target for {@linkcode runFuzz}: one loopback backend for the run. */
export function upstreamSocketTarget(): FuzzTarget {
  let backend: ScriptedBackend | undefined;
  const counts: UpstreamCounts = { accepted: 0, refused: 0, reused: 0 };
  return {
    name: "upstream-socket",
    open() {
      backend = new ScriptedBackend();
      return Promise.resolve();
    },
    run: (rng) => socketCase(backend!, rng, counts),
    summary: () =>
      `${counts.accepted} accepted, ${counts.refused} refused, ${counts.reused} connections reused`,
    close: () => backend!.close(),
  };
}
