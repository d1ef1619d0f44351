/**
 * Client timeouts of the data plane, enforced per accepted connection (the
 * gateway owns its connections, see `connection_server.ts`):
 *
 * - **header**: a new connection must deliver a complete request head within
 *   `headerMs` of being accepted (a silent connection or a half-sent head is
 *   dropped);
 * - **idle**: a kept-alive connection with no request in flight must deliver
 *   its next complete request head within `idleMs` of the last response
 *   ending. Deno's engine tells us when a head is complete, not when its
 *   first byte arrived, so this one timer covers both the idle wait and the
 *   next head;
 * - **stream**: no request may stay in flight longer than `streamMs` from its
 *   head to the end of its response (off by default: downloads, long polls
 *   and event streams are legitimate);
 * - **body** (`bodyMs`, the longest wait for the next request-body bytes) is
 *   enforced where the body is read, by the request handler (408).
 *
 * One sweep over the open connections, every `tickMs`, replaces a timer per
 * connection and per request: a request costs two counter updates, and a
 * timeout fires up to one tick late. `0` turns a timeout off.
 * @module
 */
import type { Clock, Timer } from "../time/clock.ts";
import { batchClock } from "./monotonic_clock.ts";

/** Client timeouts in milliseconds; `0` turns one off. */
export interface ClientTimeouts {
  /** From accept to the first complete request head. */
  headerMs: number;
  /** From the end of a response to the next complete request head. */
  idleMs: number;
  /** The longest wait for more request-body bytes (answered with 408). */
  bodyMs: number;
  /** From a request head to the end of its response. */
  streamMs: number;
}

/** The defaults: `--client-header-timeout 10s` and its siblings. */
export const DEFAULT_CLIENT_TIMEOUTS: Readonly<ClientTimeouts> = Object.freeze({
  headerMs: 10_000,
  idleMs: 60_000,
  bodyMs: 30_000,
  streamMs: 0,
});

/** HTTP/1.1 upgrade pass-through on HTTP and HTTPS ports (`upgrade_diversion.ts`). */
export interface UpgradeSettings {
  /** `auto`: ports whose routes reach a `kubernetes.io/ws` or `wss` backend; `on`: every port; `off`: none. */
  mode: "auto" | "on" | "off";
  /** Upgraded connections open at once across the data plane; `0`: no limit. */
  maxConnections: number;
  /** An upgraded connection is closed after this long without a byte either way; `0`: never. */
  idleMs: number;
}

/** The defaults: `--upgrades auto --max-upgraded-connections 1000 --upgrade-idle-timeout 5m`. */
export const DEFAULT_UPGRADE_SETTINGS: Readonly<UpgradeSettings> = Object.freeze({
  mode: "auto",
  maxConnections: 1000,
  idleMs: 300_000,
});

/** The data plane's connection limits and client timeouts (plain data: workers get a copy). */
export interface ClientConnectionSettings {
  /** Open client connections across every data-plane port; `0`: no limit. */
  maxConnections: number;
  /** Open client connections on one port; `0`: only the global limit. */
  maxConnectionsPerPort: number;
  timeouts: ClientTimeouts;
  /** Upgrade pass-through; absent: off. */
  upgrades?: UpgradeSettings;
  /**
   * Who serves HTTP/1.1 on HTTP and HTTPS ports (`--http1-engine`); absent:
   * our own server on both.
   */
  http1Engine?: Http1Engine;
  /**
   * Whose sockets carry plain ports our server serves and cleartext
   * backend connections (`--sockets`, `libc_sockets.ts`); absent: the default.
   */
  sockets?: SocketsSetting;
  /**
   * Longest wait for a backend to take more of a request
   * (`--upstream-send-timeout`, ms); absent: the default, `0`: none.
   */
  upstreamSendMs?: number;
}

/** Deno's HTTP engine, or the gateway's own HTTP/1.1 server (`h1/h1_connection.ts`). */
export type Http1Engine = "own" | "deno";

/** The `--sockets` setting: libc's sockets through FFI where they can serve, or Deno's. */
export type SocketsSetting = "auto" | "libc" | "deno";

/** Why a connection was dropped (`shed`: descriptors ran out, see `shed`). */
export type TimeoutReason = "header" | "idle" | "stream" | "shed";

/** One request in flight on a watched connection. */
export interface RequestMark {
  readonly startedAt: number;
}

/** The watch over one connection. */
export interface WatchedConnection {
  /**
   * A complete request head arrived. The mark is only needed (and only made)
   * with a stream timeout; without one, requests are just counted.
   */
  requestStarted(): RequestMark | undefined;
  /** The response to the request marked `mark` ended (sent, or failed). */
  requestFinished(mark?: RequestMark): void;
  /**
   * Close the connection `lingerMs` after its requests in flight ended,
   * whatever the idle timeout (after a 408: the rest of the body will not
   * come). The linger lets the answer reach the client first: Deno reports a
   * response complete when it hands it over, before the bytes are written.
   */
  closeSoon(lingerMs: number): void;
  /** The connection closed; stop watching it. */
  end(): void;
}

/** Watches connections and drops the ones past a deadline. */
export interface ConnectionWatcher {
  /** Starts watching; `drop` closes the connection at once. */
  watch(drop: (reason: TimeoutReason) => void): WatchedConnection;
  /** Drops every connection past a deadline at `now`; returns how many. */
  sweep(now?: number): number;
  /**
   * Drops up to `count` connections with no request in flight, oldest first
   * (a waiting head or an idle keep-alive: nothing is lost but the
   * connection), as nginx reuses idle connections when it runs out of them;
   * returns how many.
   */
  shed(count: number): number;
  /** Connections watched. */
  size(): number;
  /** Stops the periodic sweep. */
  stop(): void;
}

/** Options of {@linkcode createConnectionWatcher}. */
export interface ConnectionWatcherOptions {
  timeouts: ClientTimeouts;
  /**
   * Time and the sweep's interval; default the system clock, read once a
   * batch of libc socket reports (`monotonic_clock.ts` `batchClock`).
   */
  clock?: Clock;
  /** Sweep period; default a quarter of the shortest timeout, 25 ms to 1 s. `0`: no periodic sweep. */
  tickMs?: number;
  /** Called once per dropped connection (logs, metrics). */
  onDrop?: (reason: TimeoutReason) => void;
}

class Watched implements WatchedConnection {
  active = 0;
  /** Deadline for the next head while nothing is in flight. */
  deadline: number;
  idle = false;
  marks: Set<RequestMark> | undefined;
  lingerMs: number | undefined;
  constructor(
    readonly owner: Watcher,
    readonly drop: (reason: TimeoutReason) => void,
    now: number,
  ) {
    this.deadline = owner.after(now, owner.timeouts.headerMs);
    if (owner.timeouts.streamMs > 0) this.marks = new Set();
  }
  requestStarted(): RequestMark | undefined {
    this.active++;
    if (this.marks === undefined) return undefined;
    const mark = { startedAt: this.owner.clock.now() };
    this.marks.add(mark);
    return mark;
  }
  requestFinished(mark?: RequestMark): void {
    if (mark !== undefined) this.marks?.delete(mark);
    if (--this.active > 0) return;
    this.active = 0;
    this.idle = true;
    const now = this.owner.clock.now();
    this.deadline = this.lingerMs !== undefined
      ? now + this.lingerMs
      : this.owner.after(now, this.owner.timeouts.idleMs);
  }
  closeSoon(lingerMs: number): void {
    this.lingerMs = lingerMs;
    if (this.active === 0) {
      this.deadline = Math.min(this.deadline, this.owner.clock.now() + lingerMs);
    }
  }
  end(): void {
    this.owner.connections.delete(this);
    this.owner.idleCheck();
  }
}

class Watcher implements ConnectionWatcher {
  readonly connections = new Set<Watched>();
  readonly clock: Clock;
  readonly timeouts: ClientTimeouts;
  readonly tickMs: number;
  readonly onDrop?: (reason: TimeoutReason) => void;
  interval: Timer | undefined;

  constructor(options: ConnectionWatcherOptions) {
    this.timeouts = { ...options.timeouts };
    this.clock = options.clock ?? batchClock;
    this.onDrop = options.onDrop;
    const { headerMs, idleMs, streamMs } = this.timeouts;
    const shortest = Math.min(...[headerMs, idleMs, streamMs].filter((ms) => ms > 0));
    this.tickMs = options.tickMs ??
      (Number.isFinite(shortest) ? Math.min(1000, Math.max(25, Math.floor(shortest / 4))) : 0);
  }

  after(now: number, ms: number): number {
    return ms > 0 ? now + ms : Infinity;
  }

  watch(drop: (reason: TimeoutReason) => void): WatchedConnection {
    const watched = new Watched(this, drop, this.clock.now());
    this.connections.add(watched);
    if (this.interval === undefined && this.tickMs > 0) {
      // The sweep must never keep the process (or a test) alive on its own.
      this.interval = this.clock.setInterval(() => this.sweep(), this.tickMs).unref();
    }
    return watched;
  }

  sweep(now: number = this.clock.now()): number {
    const streamMs = this.timeouts.streamMs;
    let dropped = 0;
    for (const watched of this.connections) {
      let reason: TimeoutReason | undefined;
      if (watched.active === 0) {
        if (now >= watched.deadline) reason = watched.idle ? "idle" : "header";
      } else if (watched.marks !== undefined) {
        for (const mark of watched.marks) {
          if (now - mark.startedAt >= streamMs) reason = "stream";
        }
      }
      if (reason === undefined) continue;
      this.connections.delete(watched);
      dropped++;
      this.onDrop?.(reason);
      watched.drop(reason);
    }
    this.idleCheck();
    return dropped;
  }

  shed(count: number): number {
    let dropped = 0;
    for (const watched of this.connections) {
      if (dropped >= count) break;
      if (watched.active > 0) continue;
      this.connections.delete(watched);
      dropped++;
      this.onDrop?.("shed");
      watched.drop("shed");
    }
    this.idleCheck();
    return dropped;
  }

  idleCheck(): void {
    if (this.connections.size > 0 || this.interval === undefined) return;
    this.interval.cancel();
    this.interval = undefined;
  }

  size(): number {
    return this.connections.size;
  }

  stop(): void {
    this.interval?.cancel();
    this.interval = undefined;
  }
}

/**
 * Creates a watcher. It sweeps by itself, every `tickMs` of its clock, while
 * it watches any connection; `sweep(now)` also sweeps on demand.
 *
 * @example
 * ```ts
 * import { createConnectionWatcher, DEFAULT_CLIENT_TIMEOUTS } from "./client_timeouts.ts";
 * const watcher = createConnectionWatcher({ timeouts: DEFAULT_CLIENT_TIMEOUTS, tickMs: 0 });
 * const watched = watcher.watch((reason) => console.log("dropped:", reason));
 * watcher.sweep(performance.now() + 10_000); // dropped: header
 * watched.end();
 * ```
 */
export function createConnectionWatcher(options: ConnectionWatcherOptions): ConnectionWatcher {
  return new Watcher(options);
}
