/**
 * The connection limit every accept loop of the data plane shares, and what
 * happens when the process runs out of file descriptors: the limit learns
 * from it and connections waiting for a head are shed.
 * @module
 */
import type { Logger } from "../log/logger.ts";
import type { ConnectionWatcher } from "./client_timeouts.ts";
import type { ClientEventReasons } from "./observer.ts";

/**
 * Connections open across several servers, against one limit. The limit
 * also learns: Deno cannot read the process's open-file limit without
 * `--allow-all` (`/proc/self/limits`), so when an accept fails for want of
 * a descriptor, the limit drops to three quarters of the connections open at
 * that moment (never below {@linkcode MIN_LEARNED_LIMIT}). The quarter left
 * free is what the admin and telemetry listeners, upstream connections and
 * the Kubernetes watches keep working with.
 *
 * Every accept loop holds the budget, so it is also where refusals are
 * counted: `onRejected` hears each one (the process's limit, a port's limit,
 * an accept that found no descriptor).
 */
export class ConnectionBudget {
  #open = 0;
  #max: number;
  readonly #onRejected: (reason: ClientEventReasons["connection_rejected"]) => void;
  /** `max` `0`: no limit until descriptors run out. */
  constructor(
    max: number,
    onRejected: (reason: ClientEventReasons["connection_rejected"]) => void = () => {},
  ) {
    this.#max = max;
    this.#onRejected = onRejected;
  }
  /** The current limit; `0`: none. */
  get max(): number {
    return this.#max;
  }
  /** The process ran out of descriptors: lowers the limit; returns the new one. */
  exhausted(): number {
    this.#onRejected("descriptors");
    const learned = Math.max(MIN_LEARNED_LIMIT, Math.floor(this.#open * 3 / 4));
    if (this.#max === 0 || learned < this.#max) this.#max = learned;
    return this.#max;
  }
  /** Takes one slot; false when the limit is reached. */
  tryAcquire(): boolean {
    if (this.#max > 0 && this.#open >= this.#max) {
      this.#onRejected("global");
      return false;
    }
    this.#open++;
    return true;
  }
  /** A connection was refused by a port's own limit (counted only). */
  rejectedByPort(): void {
    this.#onRejected("port");
  }
  /** A client-certificate handshake failed (counted only). */
  rejectedClientCertificate(): void {
    this.#onRejected("client_certificate");
  }
  /** Gives one slot back. */
  release(): void {
    if (this.#open > 0) this.#open--;
  }
  /** Slots taken. */
  get open(): number {
    return this.#open;
  }
}

/**
 * Whether a port with `open` connections may serve a new one: its own
 * limit first (`maxConnections`; `0` or absent: none), a refusal counted
 * as the port's, then the shared `budget`, whose slot the connection then
 * holds until it is given back with `release`.
 */
export function admitConnection(
  open: number,
  maxConnections: number | undefined,
  budget: ConnectionBudget | undefined,
): boolean {
  if ((maxConnections ?? 0) > 0 && open >= maxConnections!) {
    budget?.rejectedByPort();
    return false;
  }
  return budget?.tryAcquire() !== false;
}

/** The lowest limit {@linkcode ConnectionBudget.exhausted} sets. */
export const MIN_LEARNED_LIMIT = 16;

/** `EMFILE` (process) and `ENFILE` (system): no descriptor for a new connection. */
export function isOutOfDescriptors(error: unknown): boolean {
  const message = (error as Error)?.message ?? "";
  return /os error 2[34]\b|Too many open files/.test(message);
}

/**
 * The process ran out of descriptors: lowers `budget`'s limit and frees
 * descriptors at once, for the admin listener and the requests in flight, by
 * dropping connections that wait for a head (`watcher.shed`).
 */
export function shedForDescriptors(
  budget: ConnectionBudget,
  watcher: ConnectionWatcher | undefined,
  logger: Logger,
): void {
  const before = budget.max;
  const limit = budget.exhausted();
  const shed = watcher?.shed(budget.open - limit) ?? 0;
  if (limit !== before || shed > 0) {
    logger.warn("Out of file descriptors: limiting client connections", {
      limit,
      open: budget.open,
      shed,
      hint: "raise the open-file limit (ulimit -n) or set --max-connections",
    });
  }
}
