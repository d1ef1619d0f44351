/**
 * The upstream client the data plane uses: the pooled HTTP/1.1 client for
 * `http` backends, the `fetch`-based client for `h2c` backends and the
 * `node:http2` client, which reads trailers, for `grpc` backends.
 * @module
 */
import type { BackendConfig } from "../model/config.ts";
import { createH2cClient } from "./upstream_h2c.ts";
import { createGrpcClient, type GrpcClient } from "./upstream_grpc.ts";
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

/**
 * Creates the client; the h2c part is created on first use.
 *
 * @example
 * ```ts
 * import { createProxyClient } from "./upstream_client.ts";
 * const client = createProxyClient({ idleTimeoutMs: 30_000 });
 * client.close();
 * ```
 */
export function createProxyClient(options: Http1ClientOptions = {}): ProxyClient {
  const http1 = createHttp1Client(options);
  let h2c: ReturnType<typeof createH2cClient> | undefined;
  let grpc: GrpcClient | undefined;
  return {
    request(protocol, endpoint, request, callOptions) {
      if (protocol === "grpc" && callOptions.tls === undefined) {
        return (grpc ??= createGrpcClient()).request(endpoint, request, callOptions);
      }
      // A TLS backend speaks HTTP/1.1 over TLS: h2c is cleartext by definition.
      if (protocol === "h2c" && callOptions.tls === undefined) {
        return (h2c ??= createH2cClient()).request(endpoint, request, callOptions);
      }
      return http1.request(endpoint, request, callOptions);
    },
    stats: () => http1.stats(),
    close() {
      http1.close();
      h2c?.close();
      grpc?.close();
    },
  };
}
