/**
 * The HTTP/2 sessions of the upstream client (`node:http2`), shared by gRPC
 * and h2c backends: per endpoint (and TLS settings), at most
 * `maxSessionsPerEndpoint` sessions, each carrying at most as many streams
 * as the backend's SETTINGS allow (`SETTINGS_MAX_CONCURRENT_STREAMS`). A
 * call takes a stream slot on the first session with one free; when all are
 * full another session is opened; at the bound, calls wait in line for a
 * slot. A session without streams for `idleTimeoutMs` is closed, as is one
 * that fails or receives GOAWAY (its streams in flight finish).
 *
 * Cleartext sessions run over `node:net` sockets with Nagle's algorithm off
 * (with it on, a small request frame waits for the ACK of the previous one:
 * the 40 ms stalls of delayed ACKs). TLS sessions run over a connection
 * `upstream_tls.ts` opened and verified, offering ALPN `h2`; a backend that
 * does not choose `h2` is refused.
 * @module
 */
import http2 from "node:http2";
import net from "node:net";
import type { BackendTlsConfig } from "../model/config.ts";
import { type Clock, systemClock, type Timer } from "../time/clock.ts";
import { duplexOfConn } from "./deno_conn_duplex.ts";
import { startBackendTls, tlsPoolKey } from "./upstream_tls.ts";
import { type UpstreamEndpoint, UpstreamError } from "./upstream_types.ts";

/** Bounds of {@linkcode H2Sessions}. */
export interface H2SessionOptions {
  /** Sessions per endpoint and TLS settings (default 4). */
  maxSessionsPerEndpoint?: number;
  /** A session without streams this long is closed (ms, default 30 000). */
  idleTimeoutMs?: number;
  /** Limit on connecting, TLS and the backend's first SETTINGS (ms, default 5 000). */
  connectTimeoutMs?: number;
  /**
   * How long a request body waits for the backend's flow control to take
   * more (ms, default 60 000, `--upstream-send-timeout`; `0`: for ever).
   */
  sendTimeoutMs?: number;
  clock?: Clock;
}

/** One stream slot on a session; `release()` once the stream closed. */
export interface H2Lease {
  readonly session: http2.ClientHttp2Session;
  /** `http` or `https`, for `:scheme`. */
  readonly scheme: string;
  release(): void;
}

/** Pool counters, for tests. */
export interface H2SessionStats {
  /** Sessions opened so far. */
  opened: number;
  /** Sessions open now. */
  open: number;
  /** Calls waiting for a stream slot now. */
  waiting: number;
}

interface Entry {
  readonly key: string;
  session?: http2.ClientHttp2Session;
  readonly ready: Promise<http2.ClientHttp2Session>;
  active: number;
  usable: boolean;
  idle?: Timer;
}

/**
 * Streams a session is given before the backend's SETTINGS say, when no
 * other session of the endpoint told (RFC 9113 §6.5.2 suggests ≥ 100).
 */
const ASSUMED_STREAMS = 100;

/** The sessions, by endpoint key. */
export class H2Sessions {
  readonly #max: number;
  readonly #idleMs: number;
  readonly #connectMs: number;
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry[]>();
  readonly #waiters = new Map<string, (() => void)[]>();
  /** The last SETTINGS_MAX_CONCURRENT_STREAMS heard per key, for sessions still connecting. */
  readonly #limits = new Map<string, number>();
  #opened = 0;
  #closed = false;

  constructor(options: H2SessionOptions = {}) {
    this.#max = Math.max(1, options.maxSessionsPerEndpoint ?? 4);
    this.#idleMs = options.idleTimeoutMs ?? 30_000;
    this.#connectMs = options.connectTimeoutMs ?? 5_000;
    this.#clock = options.clock ?? systemClock;
  }

  stats(): H2SessionStats {
    let open = 0;
    for (const list of this.#entries.values()) open += list.length;
    let waiting = 0;
    for (const line of this.#waiters.values()) waiting += line.length;
    return { opened: this.#opened, open, waiting };
  }

  /**
   * A stream slot to `ep`; throws an {@linkcode UpstreamError} when the
   * session cannot be opened. `signal` (the call's deadline) ends a wait.
   */
  async lease(
    ep: UpstreamEndpoint,
    tls: BackendTlsConfig | undefined,
    signal?: AbortSignal,
  ): Promise<H2Lease> {
    const authority = authorityOf(ep);
    const key = tls === undefined ? authority : `${authority}|${tlsPoolKey(tls)}`;
    for (;;) {
      signal?.throwIfAborted();
      if (this.#closed) throw new UpstreamError("connect", "The HTTP/2 upstream client is closed");
      const list = this.#entries.get(key) ?? [];
      const assumed = this.#limits.get(key) ?? ASSUMED_STREAMS;
      let entry = list.find((e) => e.usable && e.active < slots(e, assumed));
      if (entry === undefined && list.length < this.#max) entry = this.#open(key, ep, tls, list);
      if (entry === undefined) {
        await this.#wait(key, signal);
        continue;
      }
      entry.active++;
      entry.idle?.cancel();
      entry.idle = undefined;
      let session: http2.ClientHttp2Session;
      try {
        session = await entry.ready;
      } catch (error) {
        this.#release(entry);
        throw error;
      }
      let released = false;
      return {
        session,
        scheme: tls === undefined ? "http" : "https",
        release: () => {
          if (released) return;
          released = true;
          this.#release(entry);
        },
      };
    }
  }

  /** Closes every session (streams in flight finish) and fails the waiting calls. */
  close(): void {
    this.#closed = true;
    for (const list of this.#entries.values()) {
      for (const e of list) {
        e.idle?.cancel();
        e.session?.close();
      }
    }
    this.#entries.clear();
    for (const line of this.#waiters.values()) for (const wake of line) wake();
    this.#waiters.clear();
  }

  #open(
    key: string,
    ep: UpstreamEndpoint,
    tls: BackendTlsConfig | undefined,
    list: Entry[],
  ): Entry {
    const entry: Entry = {
      key,
      active: 0,
      usable: true,
      ready: this.#connect(ep, tls).then((session) => {
        entry.session = session;
        this.#limits.set(key, slots(entry, ASSUMED_STREAMS));
        // Never `session.unref()`: in Deno 2.9.6 an unref'd client session beside
        // server sessions aborts the process in nghttp2 (`find_stream_on_goaway_func:
        // Assertion 'stream->closed_next == NULL' failed`) once a server session
        // closes. Idle sessions are closed by their timer instead.
        const forget = () => this.#forget(entry);
        session.on("close", forget);
        session.on("error", forget);
        session.on("goaway", () => {
          this.#forget(entry);
          session.close();
        });
        if (session.closed || session.destroyed) forget();
        return session;
      }, (error) => {
        this.#forget(entry);
        throw error;
      }),
    };
    this.#opened++;
    list.push(entry);
    this.#entries.set(key, list);
    return entry;
  }

  /** A session whose peer SETTINGS arrived, within the connect timeout. */
  async #connect(
    ep: UpstreamEndpoint,
    tls: BackendTlsConfig | undefined,
  ): Promise<http2.ClientHttp2Session> {
    const where = `${ep.address}:${ep.port}`;
    const abort = new AbortController();
    const timer = this.#clock.setTimeout(() => abort.abort(), this.#connectMs);
    let session: http2.ClientHttp2Session | undefined;
    try {
      if (tls === undefined) {
        session = http2.connect(`http://${authorityOf(ep)}`, {
          createConnection: () => net.connect({ host: ep.address, port: ep.port, noDelay: true }),
        });
      } else {
        const conn = await openTls(ep, tls, abort.signal);
        session = http2.connect(`https://${authorityOf(ep)}`, {
          createConnection: () => duplexOfConn(conn),
        });
      }
      await settingsOf(session, abort.signal);
      return session;
    } catch (error) {
      session?.destroy();
      if (error instanceof UpstreamError) throw error;
      if (abort.signal.aborted) {
        throw new UpstreamError(
          "timeout",
          `Cannot open HTTP/2 to upstream ${where}: no answer within ${this.#connectMs} ms`,
        );
      }
      throw new UpstreamError(
        "connect",
        `Cannot open HTTP/2 to upstream ${where}: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      timer.cancel();
    }
  }

  #release(entry: Entry): void {
    entry.active--;
    const line = this.#waiters.get(entry.key);
    const next = line?.shift();
    if (line !== undefined && line.length === 0) this.#waiters.delete(entry.key);
    next?.();
    // Armed even when a waiting call was woken: it may take a slot elsewhere.
    if (entry.active > 0 || !entry.usable || this.#closed) return;
    entry.idle = this.#clock.setTimeout(() => {
      if (entry.active > 0) return;
      this.#forget(entry);
      entry.session?.close();
    }, this.#idleMs).unref();
  }

  /** Takes `entry` out of the pool; calls waiting for its key try again. */
  #forget(entry: Entry): void {
    if (!entry.usable) return;
    entry.usable = false;
    entry.idle?.cancel();
    const list = this.#entries.get(entry.key);
    const at = list?.indexOf(entry) ?? -1;
    if (at !== -1) list!.splice(at, 1);
    if (list !== undefined && list.length === 0) {
      // Endpoints come and go with Pods: nothing is kept for one without sessions.
      this.#entries.delete(entry.key);
      this.#limits.delete(entry.key);
    }
    const line = this.#waiters.get(entry.key);
    this.#waiters.delete(entry.key);
    for (const wake of line ?? []) wake();
  }

  #wait(key: string, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let line = this.#waiters.get(key);
      if (line === undefined) this.#waiters.set(key, line = []);
      const wake = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        const at = line!.indexOf(wake);
        if (at !== -1) line!.splice(at, 1);
        resolve();
      };
      line.push(wake);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}

/** `host:port`, with IPv6 addresses in brackets. */
export function authorityOf(ep: UpstreamEndpoint): string {
  return ep.address.includes(":") ? `[${ep.address}]:${ep.port}` : `${ep.address}:${ep.port}`;
}

function slots(entry: Entry, assumed: number): number {
  return entry.session?.remoteSettings?.maxConcurrentStreams ?? assumed;
}

/** TCP with Nagle off, then TLS as the policy says, offering only `h2`. */
async function openTls(
  ep: UpstreamEndpoint,
  tls: BackendTlsConfig,
  signal: AbortSignal,
): Promise<Deno.TlsConn> {
  const tcp = await Deno.connect({ hostname: ep.address, port: ep.port, signal });
  tcp.setNoDelay(true);
  const conn = await startBackendTls(tcp, tls, `${ep.address}:${ep.port}`, signal, ["h2"]);
  const { alpnProtocol } = await conn.handshake();
  if (alpnProtocol !== "h2") {
    conn.close();
    throw new UpstreamError(
      "protocol",
      `Cannot open HTTP/2 to upstream ${ep.address}:${ep.port}: TLS chose ALPN ${
        alpnProtocol ?? "(none)"
      }, not h2`,
    );
  }
  return conn;
}

/** Settles once the peer's first SETTINGS arrived; fails with the session. */
function settingsOf(session: http2.ClientHttp2Session, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: unknown) => {
      session.off("remoteSettings", ok);
      session.off("error", failed);
      session.off("close", closed);
      signal.removeEventListener("abort", aborted);
      if (error === undefined) resolve();
      else reject(error);
    };
    const ok = () => done();
    const failed = (error: Error) => done(error);
    const closed = () => done(new Error("the connection closed before the HTTP/2 SETTINGS"));
    const aborted = () => done(new Error("aborted"));
    session.once("remoteSettings", ok);
    session.once("error", failed);
    session.once("close", closed);
    signal.addEventListener("abort", aborted, { once: true });
  });
}
