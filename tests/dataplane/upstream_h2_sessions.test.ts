/**
 * The HTTP/2 client's session pool: streams share a session up to the
 * backend's SETTINGS_MAX_CONCURRENT_STREAMS, then another session opens, at
 * the bound calls wait for a slot; idle sessions close after the timeout;
 * a session that receives GOAWAY is replaced.
 */
import { assertEquals } from "@std/assert";
import type http2 from "node:http2";
import { createH2Client } from "../../src/dataplane/upstream_h2.ts";
import type { UpstreamRequest, UpstreamResponse } from "../../src/dataplane/upstream_types.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { startH2Backend } from "../_helpers/h2_backend.ts";
import { waitFor } from "../_helpers/wait_for.ts";

const GET: UpstreamRequest = {
  method: "GET",
  target: "/",
  headers: ["host", "a"],
  body: null,
  contentLength: 0,
};

async function drain(res: UpstreamResponse): Promise<string> {
  return await new Response(res.body as ReadableStream<Uint8Array>).text();
}

Deno.test("streams beyond the backend's concurrency open a second session; at the bound calls wait", async () => {
  const held: http2.ServerHttp2Stream[] = [];
  await using backend = await startH2Backend((stream) => {
    stream.respond({ ":status": 200 });
    held.push(stream);
  }, { maxConcurrentStreams: 2 });
  const client = createH2Client({ maxSessionsPerEndpoint: 2 });
  try {
    const ep = { address: "127.0.0.1", port: backend.port };
    const first = await Promise.all([
      client.request(ep, GET, { timeoutMs: 0 }),
      client.request(ep, GET, { timeoutMs: 0 }),
    ]);
    assertEquals(client.stats().open, 1);
    const more = [1, 2, 3].map(() => client.request(ep, GET, { timeoutMs: 0 }));
    await waitFor("four streams at the backend", () => held.length === 4);
    assertEquals(backend.sessions(), 2);
    assertEquals(client.stats(), { opened: 2, open: 2, waiting: 1 });
    // One stream ends: the waiting call takes its slot, on an existing session.
    held[0].end("done");
    assertEquals(await drain(first[0]), "done");
    await waitFor("the fifth stream at the backend", () => held.length === 5);
    assertEquals(client.stats(), { opened: 2, open: 2, waiting: 0 });
    for (const stream of held.slice(1)) stream.end("done");
    const rest = [first[1], ...await Promise.all(more)];
    assertEquals(await Promise.all(rest.map(drain)), ["done", "done", "done", "done"]);
    assertEquals(backend.sessions(), 2);
  } finally {
    client.close();
  }
});

Deno.test("a session without streams closes after the idle timeout, and the next call opens another", async () => {
  const clock = new FakeClock();
  await using backend = await startH2Backend((stream) => {
    stream.respond({ ":status": 200 });
    stream.end("ok");
  });
  const client = createH2Client({ idleTimeoutMs: 30_000, clock });
  try {
    const ep = { address: "127.0.0.1", port: backend.port };
    assertEquals(await drain(await client.request(ep, GET, { timeoutMs: 0 })), "ok");
    await waitFor("the stream is released", () => clock.pending() > 0);
    await clock.advance(29_000);
    assertEquals(client.stats().open, 1);
    await clock.advance(1_000);
    assertEquals(client.stats().open, 0);
    await waitFor("the backend sees the session close", () => backend.openSessions() === 0);
    assertEquals(await drain(await client.request(ep, GET, { timeoutMs: 0 })), "ok");
    assertEquals(client.stats().opened, 2);
  } finally {
    client.close();
  }
});

Deno.test("a session that receives GOAWAY is replaced for the next call", async () => {
  let goaway = true;
  await using backend = await startH2Backend((stream) => {
    stream.respond({ ":status": 200 });
    stream.end("ok");
    if (goaway) {
      goaway = false;
      stream.session?.goaway(0);
    }
  });
  const client = createH2Client();
  try {
    const ep = { address: "127.0.0.1", port: backend.port };
    assertEquals(await drain(await client.request(ep, GET, { timeoutMs: 0 })), "ok");
    await waitFor("the GOAWAY is heard", () => client.stats().open === 0);
    assertEquals(await drain(await client.request(ep, GET, { timeoutMs: 0 })), "ok");
    assertEquals(backend.sessions(), 2);
  } finally {
    client.close();
  }
});
