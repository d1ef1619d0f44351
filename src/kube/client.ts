/**
 * A small Kubernetes REST client over `fetch`: bearer token (re-read and the
 * request retried once after a 401, since projected tokens rotate), TLS from
 * the connection, and API errors as {@linkcode KubeApiError} with the status
 * code and any `Retry-After`. Used by the watch loops, the status writer and
 * leader election.
 *
 * @example
 * ```ts
 * import { createKubeClient } from "./client.ts";
 * import { loadKubeConnection } from "./kubeconfig.ts";
 * const client = createKubeClient(await loadKubeConnection());
 * const list = await client.json<{ items: unknown[] }>("GET", "/api/v1/namespaces");
 * ```
 * @module
 */
import type { KubeConnection } from "./kubeconfig.ts";
import { createKubeTransport } from "./transport.ts";

/** A non-2xx answer of the API server. */
export class KubeApiError extends Error {
  /** HTTP status, or the `code` of an in-stream `ERROR` event. */
  readonly status: number;
  /** `Status.reason` (`NotFound`, `Conflict`, `Expired`, ...), when given. */
  readonly reason?: string;
  /** From `Retry-After` (429/5xx), in milliseconds. */
  readonly retryAfterMs?: number;

  /** Creates an error for `status` with the API's message. */
  constructor(status: number, message: string, reason?: string, retryAfterMs?: number) {
    super(message);
    this.name = "KubeApiError";
    this.status = status;
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Options of one request. */
export interface KubeRequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  /** JSON-encoded unless already a string. */
  body?: unknown;
  /** Default `application/json` when there is a body. */
  contentType?: string;
  signal?: AbortSignal;
}

/** A REST client bound to one API server. */
export interface KubeClient {
  readonly server: string;
  /** Sends a request; resolves with a 2xx response (body unread), throws {@linkcode KubeApiError} otherwise. */
  request(method: string, path: string, options?: KubeRequestOptions): Promise<Response>;
  /** Sends a request and parses the JSON answer. */
  json<T>(method: string, path: string, options?: KubeRequestOptions): Promise<T>;
  /** Releases the HTTP client's connections. */
  close(): void;
}

/** Creates a client for `conn`. */
export function createKubeClient(conn: KubeConnection): KubeClient {
  const transport = createKubeTransport(conn);

  const send = async (method: string, url: string, options: KubeRequestOptions) => {
    const headers = new Headers({ accept: "application/json" });
    const token = await conn.token();
    if (token) headers.set("authorization", `Bearer ${token}`);
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
      headers.set("content-type", options.contentType ?? "application/json");
    }
    try {
      return await transport.fetch(url, { method, headers, body, signal: options.signal });
    } catch (err) {
      // Aborts carry our own reason (idle deadline, relist, stop): keep them as they are.
      if (options.signal?.aborted) throw err;
      const cause = (err as Error).cause instanceof Error ? `: ${(err as Error).cause}` : "";
      throw new Error(
        `Cannot ${method} ${new URL(url).pathname}: ${(err as Error).message}${cause}`,
      );
    }
  };

  const client: KubeClient = {
    server: conn.server,
    async request(method, path, options = {}) {
      const url = new URL(conn.server + path);
      for (const [k, v] of Object.entries(options.query ?? {})) {
        if (v !== undefined) url.searchParams.set(k, String(v));
      }
      let response = await send(method, url.href, options);
      if (response.status === 401) {
        // The token may have rotated since it was read: read it again and retry once.
        await response.body?.cancel();
        await conn.refreshToken();
        response = await send(method, url.href, options);
      }
      if (response.ok) return response;
      throw await apiErrorOf(response, `${method} ${path}`);
    },
    async json<T>(method: string, path: string, options: KubeRequestOptions = {}) {
      const response = await client.request(method, path, options);
      return await response.json() as T;
    },
    close() {
      transport.close();
    },
  };
  return client;
}

/** Builds a {@linkcode KubeApiError} from an error response, consuming its body. */
export async function apiErrorOf(response: Response, action: string): Promise<KubeApiError> {
  let message = "";
  let reason: string | undefined;
  try {
    const text = await response.text();
    try {
      const status = JSON.parse(text) as { message?: string; reason?: string };
      message = status.message ?? text;
      reason = status.reason;
    } catch {
      message = text;
    }
  } catch {
    // The body is only a nicety; the status code says enough.
  }
  return new KubeApiError(
    response.status,
    `Cannot ${action}: HTTP ${response.status}${message ? `: ${message.slice(0, 300)}` : ""}`,
    reason,
    parseRetryAfter(response.headers.get("retry-after")),
  );
}

/** `Retry-After` (seconds or an HTTP date) in milliseconds, if valid. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Whether an error is an API answer with this status. */
export function isApiStatus(err: unknown, status: number): err is KubeApiError {
  return err instanceof KubeApiError && err.status === status;
}
