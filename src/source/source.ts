/**
 * The contract every source of objects (manifest directory, Kubernetes API)
 * fulfils. A source keeps a `Store` up to date; the store tells the reconciler
 * (debounced) that something relevant changed, and the reconciler rebuilds
 * everything from `store.snapshot()`.
 * @module
 */
import type { Problem } from "../model/config.ts";
import type { Store } from "./store.ts";

/** Per-kind synchronisation state, shown in `/config` and used by `/readyz`. */
export interface KindSyncState {
  /** The first full list (or read) of this kind completed. */
  synced: boolean;
  /** Objects of this kind currently in the store. */
  objects: number;
  /** Last error seen for this kind, if the latest attempt failed. */
  lastError?: string;
  /** RFC 3339 time of the last successful list/read or watch event. */
  lastSyncTime?: string;
}

/** The result of `Source.reload()`. */
export interface ReloadOutcome {
  ok: boolean;
  /** Problems found while reading (parse errors, invalid objects). */
  problems: Problem[];
  message: string;
}

export interface Source {
  readonly kind: "files" | "kube";
  readonly store: Store;
  /** Starts reading; resolves once every kind completed its first list/read. */
  start(): Promise<void>;
  /** Re-reads (files) or relists (kube) everything now. */
  reload(): Promise<ReloadOutcome>;
  /** State per kind (`GatewayClass`, `Gateway`, ...). */
  syncState(): Record<string, KindSyncState>;
  /** Problems found while reading objects (not translation problems). */
  problems(): Problem[];
  /** Stops watching; idempotent. */
  stop(): Promise<void>;
}
