/**
 * `RequestMirror` in the data plane: fire-and-forget copies of a request to
 * the mirror backends. A copy never changes the client's response or its
 * latency: it runs beside the real exchange, its response is discarded, and
 * its failures are only counted (`mirror_failed`). Two bounds keep mirroring
 * from costing the gateway more than it should: copies in flight
 * (`maxInFlight`) and body bytes buffered for a copy (`maxBodyBytes`; a
 * request with a larger or unknown-length body is not mirrored). A copy
 * that a bound stops is counted as `mirror_dropped`.
 *
 * @example
 * ```ts
 * import { RequestMirrors } from "./request_mirror.ts";
 * import { createBackendPicker } from "./backend_picker.ts";
 * import { NOOP_OBSERVER } from "./observer.ts";
 * import { createProxyClient } from "./upstream_client.ts";
 * import { silentLogger } from "../log/logger.ts";
 * const upstream = createProxyClient();
 * const mirrors = new RequestMirrors({
 *   upstream,
 *   picker: createBackendPicker(),
 *   observer: NOOP_OBSERVER,
 *   logger: silentLogger,
 * });
 * console.log(mirrors.choose([]).length); // 0: a rule without mirrors copies nothing
 * upstream.close();
 * ```
 * @module
 */
import { errorMessage } from "../log/error_message.ts";
import type { Logger } from "../log/logger.ts";
import type { MirrorConfig } from "../model/config.ts";
import type { BackendPicker } from "./backend_picker.ts";
import type { DataPlaneObserver } from "./observer.ts";
import type { ProxyClient } from "./upstream_client.ts";
import type { UpstreamRequest } from "./upstream_types.ts";

/** Bounds on mirroring, per data-plane handler. */
export interface MirrorLimits {
  /** Mirrored copies in flight at once (default 64). */
  maxInFlight: number;
  /** Largest request body copied for mirrors, in bytes (default 64 KiB). */
  maxBodyBytes: number;
}

/** The default {@linkcode MirrorLimits}. */
export const DEFAULT_MIRROR_LIMITS: MirrorLimits = Object.freeze({
  maxInFlight: 64,
  maxBodyBytes: 64 * 1024,
});

/** What a mirror needs from the handler. */
export interface MirrorDeps {
  upstream: ProxyClient;
  picker: BackendPicker;
  observer: DataPlaneObserver;
  logger: Logger;
  limits?: MirrorLimits;
  /** A number in [0, 1); injectable so fractions can be tested. */
  random?: () => number;
}

/** Sends mirrored copies of requests; one per handler. */
export class RequestMirrors {
  readonly #deps: MirrorDeps;
  readonly #limits: MirrorLimits;
  readonly #random: () => number;
  #inFlight = 0;

  constructor(deps: MirrorDeps) {
    this.#deps = deps;
    this.#limits = deps.limits ?? DEFAULT_MIRROR_LIMITS;
    this.#random = deps.random ?? Math.random;
  }

  /** Copies in flight now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The mirrors that take this request, each drawn by its own fraction. */
  choose(mirrors: readonly MirrorConfig[]): MirrorConfig[] {
    if (mirrors.length === 0) return [];
    return mirrors.filter(({ fraction }) =>
      fraction.numerator >= fraction.denominator ||
      this.#random() * fraction.denominator < fraction.numerator
    );
  }

  /**
   * Starts a copy of `request` to each of `chosen` and returns the body the
   * real exchange must read instead of `request.body` (one branch of a tee
   * when the body is copied).
   */
  start(
    chosen: readonly MirrorConfig[],
    request: UpstreamRequest,
    timeoutMs: number,
  ): ReadableStream<Uint8Array> | null {
    if (chosen.length === 0) return request.body;
    const { body, contentLength } = request;
    if (body === null) {
      for (const mirror of chosen) this.#send(mirror, request, null, timeoutMs);
      return null;
    }
    if (contentLength === null || contentLength > this.#limits.maxBodyBytes) {
      for (const mirror of chosen) this.#drop(mirror, "body is over the mirror limit");
      return body;
    }
    const [primary, copy] = body.tee();
    readAll(copy, this.#limits.maxBodyBytes).then(
      (bytes) => {
        for (const mirror of chosen) this.#send(mirror, request, bytes, timeoutMs);
      },
      (error) => {
        // The client's body failed: the real exchange reports that (499).
        // Not counted against the mirror's backend: it did nothing wrong.
        this.#deps.logger.debug("request mirror not sent: the request body failed", {
          backends: chosen.map((m) => m.backend.id),
          error: errorMessage(error),
        });
      },
    );
    return primary;
  }

  #drop(mirror: MirrorConfig, reason: string): void {
    this.#deps.observer.onUpstreamError(mirror.backend.id, "mirror_dropped");
    this.#deps.logger.debug("request mirror dropped", { backend: mirror.backend.id, reason });
  }

  #send(
    mirror: MirrorConfig,
    request: UpstreamRequest,
    bytes: Uint8Array | null,
    timeoutMs: number,
  ): void {
    const { backend } = mirror;
    if (this.#inFlight >= this.#limits.maxInFlight) return this.#drop(mirror, "too many in flight");
    const endpoint = this.#deps.picker.pickEndpoint(backend);
    if (endpoint === undefined) {
      this.#deps.observer.onUpstreamError(backend.id, "mirror_failed");
      return;
    }
    this.#inFlight++;
    const body = bytes === null ? null : new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
    this.#deps.upstream.request(backend.protocol, endpoint, {
      ...request,
      body,
      // Nobody reads a copy's answer, so its backend is not asked for trailers.
      acceptsTrailers: false,
    }, {
      timeoutMs,
      tls: backend.tls,
    })
      .then(async (res) => {
        if (res.body instanceof ReadableStream) await res.body.cancel();
      })
      .catch((error) => {
        this.#deps.observer.onUpstreamError(backend.id, "mirror_failed");
        this.#deps.logger.debug("request mirror failed", {
          backend: backend.id,
          error: errorMessage(error),
        });
      })
      .finally(() => this.#inFlight--);
  }
}

async function readAll(stream: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > limit) throw new RangeError(`Cannot mirror a body over ${limit} bytes`);
    chunks.push(chunk);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
