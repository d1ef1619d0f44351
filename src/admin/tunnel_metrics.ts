/**
 * The metric families of connections the gateway relays as opaque bytes
 * once set up: TLS Passthrough tunnels and upgraded (WebSocket and other
 * `Upgrade`) connections.
 * @module
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { PassthroughRecord } from "../dataplane/observer.ts";

/** TLS Passthrough connections by outcome, and the bytes they relayed. */
export class PassthroughMetrics {
  readonly #connections: Counter<string>;
  readonly #bytes: Counter<string>;

  /** Registers both families in `registry`. */
  constructor(registry: Registry) {
    // Outcome only: listener and route ids would grow a series per route.
    this.#connections = new Counter({
      name: "serval_tls_passthrough_connections_total",
      help: "TLS Passthrough connections, by outcome (relayed, or why they were closed).",
      labelNames: ["outcome"],
      registers: [registry],
    });
    this.#bytes = new Counter({
      name: "serval_tls_passthrough_bytes_total",
      help: "Bytes relayed by ended TLS Passthrough connections, by direction.",
      labelNames: ["direction"],
      registers: [registry],
    });
  }

  /** Counts one connection's outcome. */
  connection(record: PassthroughRecord): void {
    this.#connections.inc({ outcome: record.outcome });
  }

  /** Adds the bytes an ended connection relayed each way. */
  bytes(clientToBackend: number, backendToClient: number): void {
    this.#bytes.inc({ direction: "client_to_backend" }, clientToBackend);
    this.#bytes.inc({ direction: "backend_to_client" }, backendToClient);
  }
}

/** Upgraded connections open now, and those ended by why. */
export class UpgradeMetrics {
  readonly #open: Gauge;
  readonly #ended: Counter<string>;

  /** Registers both families in `registry`. */
  constructor(registry: Registry) {
    this.#open = new Gauge({
      name: "serval_upgraded_connections",
      help: "Upgraded (WebSocket and other Upgrade) connections open now",
      registers: [registry],
    });
    this.#ended = new Counter({
      name: "serval_upgraded_connections_closed_total",
      help: "Upgraded connections ended, by why: closed, idle (timeout), error, stopped",
      labelNames: ["why"],
      registers: [registry],
    });
  }

  /** An upgraded connection opened, or ended (`why` defaults to `closed`). */
  event(event: "opened" | "closed", why?: string): void {
    if (event === "opened") this.#open.inc();
    else {
      this.#open.dec();
      this.#ended.inc({ why: why ?? "closed" });
    }
  }
}
