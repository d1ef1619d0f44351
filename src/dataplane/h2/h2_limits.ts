/**
 * The bounds an HTTP/2 connection holds a client to, and the budgets that
 * turn a flood of cheap frames into a GOAWAY with ENHANCE_YOUR_CALM. Every
 * frame a client sends costs us something (a SETTINGS or PING costs an
 * answer, a reset stream costs a request started and torn down), so each
 * kind that does no useful work is paid for from a budget that refills with
 * time (a token bucket on an injectable clock):
 *
 * - **rapid reset** (CVE-2023-44487): streams the client resets before
 *   their response ended, and streams refused past the concurrency limit;
 * - **SETTINGS**, **PING**: each costs an ACK;
 * - **empty DATA** without END_STREAM, and **WINDOW_UPDATE**: no work at
 *   all for us (a WINDOW_UPDATE is useful while we are sending, so each
 *   DATA frame we send gives one back);
 * - **CONTINUATION flood** (CVE-2024-27316): not a budget but a cap on the
 *   size and frame count of one header block, checked before decoding.
 * @module
 */
import { type Clock, systemClock } from "../../time/clock.ts";

/** The bounds of one connection; every field has a default in {@linkcode DEFAULT_H2_LIMITS}. */
export interface H2Limits {
  /** SETTINGS_MAX_CONCURRENT_STREAMS: streams past it are refused (REFUSED_STREAM). */
  maxConcurrentStreams: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE: request-body bytes a stream may have unread. */
  streamWindow: number;
  /** The connection window: request-body bytes unread across all streams. */
  connectionWindow: number;
  /** SETTINGS_MAX_FRAME_SIZE: larger frames are a FRAME_SIZE_ERROR. */
  maxFrameSize: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE, and the cap on one compressed header block. */
  maxHeaderListSize: number;
  /** Frames one header block may span (HEADERS and its CONTINUATIONs). */
  maxHeaderBlockFrames: number;
  /** Output queued for the client beyond which we stop reading and sending. */
  maxBufferedOutput: number;
  /** Budgets: [burst, refill per second]. */
  resetBudget: [number, number];
  settingsBudget: [number, number];
  pingBudget: [number, number];
  emptyDataBudget: [number, number];
  windowUpdateBudget: [number, number];
}

const DEFAULTS: H2Limits = {
  maxConcurrentStreams: 100,
  streamWindow: 256 * 1024,
  connectionWindow: 1024 * 1024,
  maxFrameSize: 16_384,
  maxHeaderListSize: 64 * 1024,
  maxHeaderBlockFrames: 64,
  maxBufferedOutput: 256 * 1024,
  resetBudget: [200, 50],
  settingsBudget: [50, 5],
  pingBudget: [50, 5],
  emptyDataBudget: [100, 10],
  windowUpdateBudget: [1000, 100],
};

/** The defaults (documented in the README's HTTP/2 section). */
export const DEFAULT_H2_LIMITS: Readonly<H2Limits> = Object.freeze(DEFAULTS);

/** A token bucket: `burst` tokens, refilled at `perSecond`, on `clock`. */
export class RateBudget {
  #tokens: number;
  #at: number;

  constructor(
    readonly burst: number,
    readonly perSecond: number,
    readonly clock: Clock = systemClock,
  ) {
    this.#tokens = burst;
    this.#at = clock.now();
  }

  /** Spends one token; `false` when none is left. */
  take(): boolean {
    const now = this.clock.now();
    const refill = ((now - this.#at) / 1000) * this.perSecond;
    if (refill > 0) {
      this.#tokens = Math.min(this.burst, this.#tokens + refill);
      this.#at = now;
    }
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Gives one token back (useful work happened), up to the burst. */
  refund(): void {
    this.#tokens = Math.min(this.burst, this.#tokens + 1);
  }
}

/** The budgets of one connection. */
export class FloodBudgets {
  readonly reset: RateBudget;
  readonly settings: RateBudget;
  readonly ping: RateBudget;
  readonly emptyData: RateBudget;
  readonly windowUpdate: RateBudget;

  constructor(limits: H2Limits, clock: Clock = systemClock) {
    this.reset = new RateBudget(...limits.resetBudget, clock);
    this.settings = new RateBudget(...limits.settingsBudget, clock);
    this.ping = new RateBudget(...limits.pingBudget, clock);
    this.emptyData = new RateBudget(...limits.emptyDataBudget, clock);
    this.windowUpdate = new RateBudget(...limits.windowUpdateBudget, clock);
  }
}
