/**
 * What an API transport is (`transport.ts` makes one), apart from the
 * transports themselves so that the one loaded on demand
 * (`insecure_transport.ts`) does not import back the module that loads it.
 * @module
 */

/** A request as the kube client sends it. */
export interface KubeRequestInit {
  method: string;
  headers: Headers;
  body?: string;
  signal?: AbortSignal;
}

/** Sends API requests; `close()` releases pooled connections. */
export interface KubeTransport {
  fetch(url: string, init: KubeRequestInit): Promise<Response>;
  close(): void;
}
