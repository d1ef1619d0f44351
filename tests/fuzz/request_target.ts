/**
 * Fuzz target: the request path. Mutated requests, each followed by a
 * canary request on the same connection, go through a real data plane
 * (the listener manager on a loopback port, a compiled table whose route
 * sets a header) to a backend that records what it reads.
 *
 * Oracle, per case: everything the gateway writes back is well-formed
 * HTTP/1.1 with a status, never a 5xx (the backend does not fail) but the
 * 505 a request line of another HTTP major version gets; every
 * request the backend read in full was answered to the client, and every
 * answer from the backend was for a request it read (nothing smuggled, no
 * answer crossed between requests); every request at the backend carries
 * the route's header; when a strict server frames the mutated bytes as
 * complete requests, the canary is never inside a body. After the run the
 * data plane still answers a plain request.
 * @module
 */
import { backend, type TestRule } from "../dataplane/_config.ts";
import type { BackendConfig, FilterConfig } from "../../src/model/config.ts";
import { startProxy, type TestProxy } from "../dataplane/_proxy.ts";
import type { RequestPolicy } from "../../src/dataplane/request_policy.ts";
import { type ReadResponse, readResponses, referenceRequests } from "./_message_reference.ts";
import { judgeBackend, normalTarget, ROUTE_HEADER } from "./_request_oracle.ts";
import { REQUEST_SEEDS } from "./_http_corpus.ts";
import { mutate } from "./_mutators.ts";
import type { Prng } from "./_prng.ts";
import {
  type RecordingBackend,
  type SeenRequest,
  startRecordingBackend,
} from "./_recording_backend.ts";
import type { CaseFailure, FuzzTarget } from "./_runner.ts";
import { bytesLatin1, latin1Bytes } from "./_prng.ts";

/** A request line of an HTTP major version other than 1. */
const OTHER_MAJOR_VERSION = /(^|\n)[^\r\n]* HTTP\/[02-9]\.[0-9]\r\n/;
const CANARY = "GET /canary HTTP/1.1\r\nHost: fuzz.example\r\nConnection: close\r\n\r\n";
/** A case the gateway has not finished 30 s after the client's last byte is a hang. */
const HANG_MS = 30_000;

/**
 * Sends `bytes` and reads until the gateway closes. With `halfClose` the
 * sending side is closed after the bytes, so a gateway waiting for more of
 * an incomplete request sees the end at once (Deno's HTTP engine then drops
 * requests still in flight: their answers are not expected).
 */
async function exchange(port: number, bytes: Uint8Array, halfClose: boolean): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let hung = false;
  const watchdog = setTimeout(() => {
    hung = true;
    try {
      conn.close();
    } catch { /* closed */ }
  }, HANG_MS);
  try {
    let off = 0;
    try {
      while (off < bytes.length) off += await conn.write(bytes.subarray(off));
      if (halfClose) await conn.closeWrite();
    } catch {
      // The gateway may close before reading everything (an early 400): read what it wrote.
    }
    let text = "";
    const buf = new Uint8Array(16 * 1024);
    for (;;) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      text += bytesLatin1(buf.subarray(0, n));
    }
    if (hung) {
      throw new Error(`Gateway kept the connection open ${HANG_MS} ms after the client's end`);
    }
    return text;
  } finally {
    clearTimeout(watchdog);
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

/** What the cases of a run did. */
export interface RequestCounts {
  cases: number;
  strictlyValid: number;
  reachedBackend: number;
  canaryServed: number;
  answered4xx: number;
}

function newCounts(): RequestCounts {
  return { cases: 0, strictlyValid: 0, reachedBackend: 0, canaryServed: 0, answered4xx: 0 };
}

/** Runs one case against a running proxy and backend. */
export async function requestCase(
  proxy: TestProxy,
  backendServer: RecordingBackend,
  sent: string[],
  rng: Prng,
  fixed?: string,
  counts: RequestCounts = newCounts(),
): Promise<CaseFailure | undefined> {
  const input = fixed ?? mutate(rng.pick(REQUEST_SEEDS), rng, REQUEST_SEEDS);
  const fail = (message: string) => ({ input, message });
  const before = backendServer.seen.length;
  const previous = sent.slice();
  sent.length = 0;
  // Complete requests end with the canary's Connection: close; anything else with a half-close.
  const framed = referenceRequests(input);
  const answer = await exchange(proxy.port, latin1Bytes(input + CANARY), framed === undefined);

  const heads = framed?.map((r) => r.method === "HEAD");
  const responses = readResponses(
    answer,
    (i) => heads !== undefined ? heads[i] === true : i === 0 && /^(\r\n)*HEAD /.test(input),
  );
  const shown = JSON.stringify(answer.slice(0, 300));
  if (typeof responses === "string") return fail(`malformed answer: ${responses}: ${shown}`);
  const seen = ownRequests(backendServer.seen.slice(before), previous, responses);
  // 505 is the gateway's own answer to a request line of another HTTP major version.
  const server = responses.find((r) =>
    r.status >= 500 && !(r.status === 505 && OTHER_MAJOR_VERSION.test(input))
  );
  if (server !== undefined) return fail(`answered ${server.status}: ${shown}`);

  counts.cases++;
  if (framed !== undefined) counts.strictlyValid++;
  if (seen.some((r) => r.target !== "/canary")) counts.reachedBackend++;
  if (seen.some((r) => r.target === "/canary")) counts.canaryServed++;
  if (responses.some((r) => r.status >= 400)) counts.answered4xx++;
  const wrong = judgeBackend({ framed, responses, seen, sent });
  return wrong === undefined ? undefined : fail(`${wrong}; the client read ${shown}`);
}

/**
 * The requests the backend read during a case, without those the gateway
 * sent in the case before and cancelled when that client left (its
 * half-close is seen a moment after its last request may have gone
 * upstream): such a request can reach the backend after its case ended. A
 * request counts as that only if it matches one the previous case sent and
 * no answer of this case carries its number.
 */
function ownRequests(
  seen: SeenRequest[],
  previous: string[],
  responses: ReadResponse[],
): SeenRequest[] {
  const answered = new Set(responses.map((r) => r.headers.find(([n]) => n === "x-seen")?.[1]));
  const late = previous.slice();
  return seen.filter((r) => {
    const at = late.indexOf(`${r.method} ${normalTarget(r.target)}`);
    if (at === -1 || answered.has(String(r.seq))) return true;
    late.splice(at, 1);
    return false;
  });
}

const SET_ROUTE_HEADER: FilterConfig = {
  type: "RequestHeaderModifier",
  modifier: { set: [{ name: ROUTE_HEADER, value: "set" }], add: [], remove: [] },
};

/**
 * Rules whose filters touch what the client sent: headers set on the way
 * in and out, a rewritten path and host, a redirect built from the path,
 * CORS. Every rule that reaches the backend sets the route header.
 */
function fuzzRules(echo: BackendConfig): TestRule[] {
  return [
    {
      path: "/",
      filters: [SET_ROUTE_HEADER, {
        type: "ResponseHeaderModifier",
        modifier: { set: [{ name: "x-fuzz-answer", value: "set" }], add: [], remove: [] },
      }],
      backends: [echo],
    },
    {
      path: "/rw",
      filters: [SET_ROUTE_HEADER, {
        type: "URLRewrite",
        hostname: "rewritten.example",
        path: { type: "ReplacePrefixMatch", value: "/x" },
      }],
      backends: [echo],
    },
    {
      path: "/redir",
      filters: [{
        type: "RequestRedirect",
        path: { type: "ReplacePrefixMatch", value: "/new" },
        statusCode: 302,
      }],
    },
    {
      path: "/exact",
      pathType: "Exact",
      filters: [SET_ROUTE_HEADER, {
        type: "CORS",
        allowOrigins: ["https://a.example"],
        allowCredentials: true,
        allowMethods: ["GET", "POST"],
        allowHeaders: ["x-a"],
        exposeHeaders: ["x-seen"],
        maxAge: 5,
      }],
      backends: [echo],
    },
  ];
}

/** The other request policy cases run under: every non-default choice at once. */
const STRICT_POLICY: RequestPolicy = {
  underscoreHeaders: "reject",
  xffTrustedHops: 2,
  escapedSlashes: "unescape",
};

/**
 * The target for {@linkcode runFuzz}: one backend and two data planes for
 * the whole run, one with the default request policy and one with
 * {@linkcode STRICT_POLICY}; each case picks one.
 */
export function requestTarget(): FuzzTarget {
  const proxies: TestProxy[] = [];
  let backendServer: RecordingBackend | undefined;
  const sent: string[] = [];
  const counts = newCounts();
  return {
    name: "request",
    async open() {
      backendServer = startRecordingBackend();
      for (const policy of [undefined, STRICT_POLICY]) {
        const proxy = await startProxy(fuzzRules(backend("echo", [backendServer.port])), policy);
        const client = proxy.client;
        const request = client.request.bind(client);
        // What the gateway sends upstream, to tell a smuggled request at the backend from a sent one.
        client.request = (protocol, endpoint, req, options) => {
          sent.push(`${req.method} ${normalTarget(req.target)}`);
          return request(protocol, endpoint, req, options);
        };
        proxies.push(proxy);
      }
    },
    run: (rng) => requestCase(rng.pick(proxies), backendServer!, sent, rng, undefined, counts),
    summary: () =>
      `${counts.strictlyValid} strictly valid, ${counts.reachedBackend} reached the backend, ` +
      `${counts.canaryServed} canaries served, ${counts.answered4xx} got a 4xx`,
    async close() {
      // The data planes survived the run: a plain request still gets the backend's answer.
      const statuses: number[] = [];
      for (const proxy of proxies) {
        const res = await fetch(`${proxy.url}/after`, { headers: { host: "fuzz.example" } });
        await res.body?.cancel();
        statuses.push(res.status);
        await proxy[Symbol.asyncDispose]();
      }
      await backendServer![Symbol.asyncDispose]();
      if (statuses.some((s) => s !== 200)) {
        throw new Error(`Data planes answered ${statuses} after the fuzz run`);
      }
    },
  };
}
