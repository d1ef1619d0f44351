/**
 * The upstream client the data plane uses: the pooled HTTP/1.1 client for
 * `http` backends, and one HTTP/2 client (`node:http2`, which reads
 * trailers) for `h2c` and `grpc` backends. Under a BackendTLSPolicy an
 * `http` backend is HTTP/1.1 over TLS, and an `h2c` or `grpc` backend is
 * HTTP/2 over TLS (ALPN `h2`): the policy adds TLS, the Service port's
 * protocol stays what it says.
 * @module
 */
import type { BackendConfig } from "../model/config.ts";
import { createH2Client, type H2Client } from "./upstream_h2.ts";
import type { H2SessionOptions } from "./upstream_h2_sessions.ts";
import {
  createHttp1Client,
  type Http1ClientOptions,
  type Http1ClientStats,
} from "./upstream_http1.ts";
import type {
  UpstreamCallOptions,
  UpstreamEndpoint,
  UpstreamRequest,
  UpstreamResponse,
} from "./upstream_types.ts";

/** Sends requests to backends of either protocol. */
export interface ProxyClient {
  request(
    protocol: BackendConfig["protocol"],
    endpoint: UpstreamEndpoint,
    request: UpstreamRequest,
    options: UpstreamCallOptions,
  ): Promise<UpstreamResponse>;
  /** HTTP/1.1 pool counters. */
  stats(): Http1ClientStats;
  close(): void;
}

/** Options of both clients. */
export interface ProxyClientOptions extends Http1ClientOptions {
  /** HTTP/2 sessions per endpoint and TLS settings (default 4). */
  maxH2SessionsPerEndpoint?: number;
}

/**
 * Creates the client; the HTTP/2 part is created on first use.
 *
 * @example
 * ```ts
 * import { createProxyClient } from "./upstream_client.ts";
 * const client = createProxyClient({ idleTimeoutMs: 30_000 });
 * client.close();
 * ```
 */
export function createProxyClient(options: ProxyClientOptions = {}): ProxyClient {
  const http1 = createHttp1Client(options);
  const h2Options: H2SessionOptions = {
    maxSessionsPerEndpoint: options.maxH2SessionsPerEndpoint,
    idleTimeoutMs: options.idleTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs,
    sendTimeoutMs: options.sendTimeoutMs,
  };
  let h2: H2Client | undefined;
  return {
    request(protocol, endpoint, request, callOptions) {
      if (protocol === "grpc" || protocol === "h2c") {
        return (h2 ??= createH2Client(h2Options)).request(endpoint, request, callOptions);
      }
      return http1.request(endpoint, request, callOptions);
    },
    stats: () => http1.stats(),
    close() {
      http1.close();
      h2?.close();
    },
  };
}
