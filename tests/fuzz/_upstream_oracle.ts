/**
 * The oracle both upstream fuzz targets share: one request through the
 * real client, and the comparison of what it made of the answer with the
 * reference framing model.
 * @module
 */
import { ClientBodyError } from "../../src/dataplane/request_body.ts";
import type { ProxyClient } from "../../src/dataplane/upstream_client.ts";
import {
  type UpstreamEndpoint,
  UpstreamError,
  type UpstreamResponse,
} from "../../src/dataplane/upstream_types.ts";
import type { ReferenceResult } from "./_response_reference.ts";

/** The answer to every request for `/canary`, on whatever connection it arrives. */
export const CANARY = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nX-Canary: 1\r\n\r\ncanary";

/** What the client made of an upstream's answer. */
export type Outcome =
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

/** A request body: its chunks, and whether the request declares its length. */
export interface BodySpec {
  chunks: Uint8Array[];
  declareLength: boolean;
  /** Chunks after the first wait for this: a client still uploading when the answer is in. */
  gate?: Promise<void>;
}

/** The body as the handler hands it over: a stream, one chunk a pull. */
function bodyStream(spec: BodySpec): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (next > 0 && spec.gate !== undefined) await spec.gate;
      if (next < spec.chunks.length) controller.enqueue(spec.chunks[next++]);
      else controller.close();
    },
  }, { highWaterMark: 0 });
}

/** Sends one request (bodiless unless `body`) through `client` and reads the whole answer. */
export async function exchange(
  client: ProxyClient,
  endpoint: UpstreamEndpoint,
  method: string,
  path: string,
  body?: BodySpec,
): Promise<Outcome> {
  try {
    const length = body?.chunks.reduce((n, c) => n + c.length, 0) ?? 0;
    const res = await client.request("http", endpoint, {
      method,
      target: path,
      headers: ["host", "fuzz.example"],
      body: body === undefined ? null : bodyStream(body),
      contentLength: body?.declareLength ? length : null,
    }, { timeoutMs: 0 });
    return { kind: "ok", status: res.status, body: await readBody(res) };
  } catch (error) {
    return { kind: "error", error };
  }
}

/** Why the client's outcome disagrees with the reference; `undefined` when it agrees. */
export function compare(ref: ReferenceResult, got: Outcome): string | undefined {
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
