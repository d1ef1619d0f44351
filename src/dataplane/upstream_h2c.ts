/**
 * The client for `h2c` backends (cleartext HTTP/2, `appProtocol:
 * kubernetes.io/h2c`), built on `fetch` with an HTTP/2-only client. `fetch`
 * would add `Accept-Encoding` and then decompress the body while keeping the
 * upstream's `Content-Encoding`, so the client's own `Accept-Encoding` is
 * always sent (`identity` when it had none), which keeps bytes untouched.
 * @module
 */
import { connectionListedHeaders, isHopByHop } from "./hop_by_hop.ts";
import { type ClientBodyError, readClientChunk } from "./request_body.ts";
import {
  type UpstreamCallOptions,
  type UpstreamClient,
  type UpstreamEndpoint,
  UpstreamError,
  type UpstreamRequest,
  type UpstreamResponse,
} from "./upstream_types.ts";

/**
 * Creates the h2c client.
 *
 * @example
 * ```ts
 * import { createH2cClient } from "./upstream_h2c.ts";
 * const client = createH2cClient();
 * client.close();
 * ```
 */
export function createH2cClient(): UpstreamClient {
  const http = Deno.createHttpClient({ http1: false, http2: true, allowHost: true });

  async function request(
    ep: UpstreamEndpoint,
    req: UpstreamRequest,
    opts: UpstreamCallOptions,
  ): Promise<UpstreamResponse> {
    const headers = new Headers();
    for (let i = 0; i < req.headers.length; i += 2) {
      headers.append(req.headers[i], req.headers[i + 1]);
    }
    if (!headers.has("accept-encoding")) headers.set("accept-encoding", "identity");
    const host = ep.address.includes(":") ? `[${ep.address}]` : ep.address;
    const abort = new AbortController();
    const body = req.body === null ? null : watchedBody(req.body);
    const timer = opts.timeoutMs > 0 ? setTimeout(() => abort.abort(), opts.timeoutMs) : undefined;
    try {
      const res = await fetch(`http://${host}:${ep.port}${req.target}`, {
        method: req.method,
        headers,
        body: body?.stream ?? null,
        redirect: "manual",
        signal: abort.signal,
        client: http,
      });
      const listed = connectionListedHeaders(res.headers.get("connection"));
      const out: [string, string][] = [];
      for (const [name, value] of res.headers) {
        if (name !== "content-length" && !isHopByHop(name, listed)) out.push([name, value]);
      }
      const length = res.headers.get("content-length");
      const noBody = req.method === "HEAD" || res.status === 204 || res.status === 304;
      return {
        status: res.status,
        headers: out,
        body: noBody ? null : res.body,
        contentLength: length !== null && /^[0-9]+$/.test(length) ? Number(length) : null,
      };
    } catch (error) {
      // The client went away mid-upload: fetch reports it as its own failure.
      const clientError = body?.error();
      if (clientError !== undefined) throw clientError;
      if (abort.signal.aborted) {
        throw new UpstreamError(
          "timeout",
          `Upstream ${ep.address}:${ep.port} did not respond within ${opts.timeoutMs} ms`,
        );
      }
      const message = (error as Error)?.message ?? String(error);
      const kind = /refused|connect/i.test(message) ? "connect" : "reset";
      throw new UpstreamError(kind, `Upstream h2c request failed: ${message}`, { cause: error });
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  return { request, close: () => http.close() };
}

/**
 * The client's body as `fetch` reads it, remembering a failed read: a client
 * that aborts its upload must count as a client disconnect (499), not as a
 * backend failure (502).
 */
function watchedBody(
  body: ReadableStream<Uint8Array>,
): { stream: ReadableStream<Uint8Array>; error(): ClientBodyError | undefined } {
  const reader = body.getReader();
  let failed: ClientBodyError | undefined;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await readClientChunk(reader);
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        failed = error as ClientBodyError;
        controller.error(error);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return { stream, error: () => failed };
}
