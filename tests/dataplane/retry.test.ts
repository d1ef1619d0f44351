import { assertEquals, assertRejects } from "@std/assert";
import { backoff, sendWithRetries } from "../../src/dataplane/retry.ts";
import { createBackendPicker } from "../../src/dataplane/backend_picker.ts";
import type { ProxyClient } from "../../src/dataplane/upstream_client.ts";
import {
  UpstreamError,
  type UpstreamRequest,
  type UpstreamResponse,
} from "../../src/dataplane/upstream_types.ts";
import type { BackendConfig } from "../../src/model/config.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

const BACKEND: BackendConfig = {
  id: "service/ns/b:80",
  weight: 1,
  protocol: "http",
  endpoints: [{ address: "10.0.0.1", port: 80 }, { address: "10.0.0.2", port: 80 }],
  filters: [],
};
const FIRST = BACKEND.endpoints[0];
const REQUEST: UpstreamRequest = {
  method: "POST",
  target: "/r",
  headers: ["host", "h"],
  body: null,
  contentLength: 4,
};

/** An upstream answering from a script: a status, or an error kind to throw. */
function scripted(script: (number | UpstreamError["kind"])[]) {
  const tries: { endpoint: string; body: string; timeoutMs: number }[] = [];
  const client: ProxyClient = {
    async request(_p, endpoint, request, options) {
      const body = request.body === null ? "" : await new Response(request.body).text();
      tries.push({ endpoint: endpoint.address, body, timeoutMs: options.timeoutMs });
      const step = script[tries.length - 1];
      if (typeof step === "string") throw new UpstreamError(step, `scripted ${step}`);
      return { status: step, headers: [], body: null, contentLength: null } as UpstreamResponse;
    },
    stats: () => ({}) as ReturnType<ProxyClient["stats"]>,
    close() {},
  };
  return { client, tries };
}

function deps(client: ProxyClient, clock = new FakeClock()) {
  const counted: string[] = [];
  return {
    counted,
    clock,
    deps: {
      upstream: client,
      picker: createBackendPicker(),
      observer: {
        onRequest() {},
        onUpstreamError: (_b: string, k: string) => counted.push(k),
        onClientEvent() {},
      },
      clock,
    },
  };
}

/** Runs `promise` while firing the clock's timers as they are set. */
async function drive<T>(clock: FakeClock, promise: Promise<T>): Promise<T> {
  let done = false;
  const settled = promise.finally(() => done = true);
  while (!done) {
    await clock.tick();
    await new Promise((r) => setTimeout(r, 0));
  }
  return await settled;
}

const policy = (codes: number[], attempts: number, backoffMs = 100) => ({
  codes,
  attempts,
  backoffMs,
});

Deno.test("a listed status is retried on another endpoint with the body sent again", async () => {
  const { client, tries } = scripted([500, 500, 200]);
  const { deps: d, counted, clock } = deps(client);
  const timing = { policy: policy([500], 3), perTryMs: 1000, overallMs: 0 };
  const body = new TextEncoder().encode("data");
  const res = await drive(clock, sendWithRetries(d, BACKEND, FIRST, REQUEST, body, timing));
  assertEquals(res.status, 200);
  assertEquals(tries.map((t) => t.body), ["data", "data", "data"]);
  assertEquals(new Set(tries.map((t) => t.endpoint)).size, 2);
  assertEquals(counted, ["retried", "retried"]);
});

Deno.test("after the last attempt the last answer stands; unlisted codes are not retried", async () => {
  const spent = scripted([500, 500, 500]);
  const a = deps(spent.client);
  const timing = { policy: policy([500], 2), perTryMs: 0, overallMs: 0 };
  assertEquals(
    (await drive(a.clock, sendWithRetries(a.deps, BACKEND, FIRST, REQUEST, null, timing))).status,
    500,
  );
  assertEquals(spent.tries.length, 3);
  const other = scripted([503]);
  const b = deps(other.client);
  assertEquals((await sendWithRetries(b.deps, BACKEND, FIRST, REQUEST, null, timing)).status, 503);
  assertEquals(other.tries.length, 1);
});

Deno.test("connection errors are retried; a timeout only when 504 is listed", async () => {
  const refused = scripted(["connect", "reset", 200]);
  const a = deps(refused.client);
  const timing = { policy: policy([500], 3), perTryMs: 0, overallMs: 0 };
  assertEquals(
    (await drive(a.clock, sendWithRetries(a.deps, BACKEND, FIRST, REQUEST, null, timing))).status,
    200,
  );
  assertEquals(a.counted, ["connect", "retried", "reset", "retried"]);
  const slow = scripted(["timeout", 200]);
  const b = deps(slow.client);
  await assertRejects(
    () => sendWithRetries(b.deps, BACKEND, FIRST, REQUEST, null, timing),
    UpstreamError,
  );
  const c = deps(scripted(["timeout", 200]).client);
  const with504 = { ...timing, policy: policy([504], 1) };
  assertEquals(
    (await drive(c.clock, sendWithRetries(c.deps, BACKEND, FIRST, REQUEST, null, with504))).status,
    200,
  );
});

Deno.test("waits double from the backoff, capped at 1 s unless the backoff is longer", () => {
  assertEquals([0, 1, 2, 3, 4, 5].map((n) => backoff(100, n)), [100, 200, 400, 800, 1000, 1000]);
  assertEquals(backoff(5000, 3), 5000);
});

Deno.test("the request timeout is the budget of every try and wait together", async () => {
  const { client, tries } = scripted([500, 500, 500, 500]);
  const { deps: d, clock } = deps(client);
  // Budget 250 ms: try 1, wait 100, try 2 (150 left), wait 200 would overrun: stop.
  const timing = { policy: policy([500], 3), perTryMs: 1000, overallMs: 250 };
  const res = await drive(clock, sendWithRetries(d, BACKEND, FIRST, REQUEST, null, timing));
  assertEquals(res.status, 500);
  assertEquals(tries.map((t) => t.timeoutMs), [250, 150]);
});
