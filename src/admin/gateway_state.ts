/**
 * What the running gateway exposes about itself: the contract between the
 * runtime (which owns the parts) and the admin/telemetry apps (which show
 * them). Everything is read through functions so the admin app always sees the
 * current state, and tests can pass plain objects.
 * @module
 */
import type { ListenerPortState } from "../dataplane/listener_port_state.ts";
import type { RouteTable } from "../router/router.ts";
import type { KindSyncState, ReloadOutcome } from "../source/source.ts";
import type { Problem, TranslateResult } from "../model/config.ts";

/** The outcome of the latest rebuild (source read → translate → swap). */
export interface RebuildState {
  /** RFC 3339. */
  time: string;
  ok: boolean;
  /** Monotonic count of tables swapped in. */
  generation: number;
  message: string;
}

/** Read-only view of the running gateway. */
export interface GatewayState {
  /** The table requests are served from now, if any was built yet. */
  table(): RouteTable | undefined;
  /** The translate result that produced `table()`. */
  result(): TranslateResult | undefined;
  source(): {
    kind: "files" | "kube";
    syncState: Record<string, KindSyncState>;
    /** Problems found while reading objects (parse/validation). */
    problems: Problem[];
  };
  listeners(): ListenerPortState[];
  lastRebuild(): RebuildState | undefined;
  /** Ready: a config is loaded, every kind synced once, every port bound, not draining. */
  readiness(): { ready: boolean; reasons: string[] };
  /** Extra sections for `/config` (e.g. leader election state). */
  extra?(): Record<string, unknown>;
}

/** What the admin app may ask the runtime to do. */
export interface GatewayControl {
  /** Re-read the source now and rebuild; resolves with the outcome. */
  reload(): Promise<ReloadOutcome>;
}
