/**
 * The fast path's answer to a proxied GET or HEAD request without a body,
 * before the backend answered (`field_headers.ts` {@linkcode PendingAnswer}):
 * our HTTP/1.1 server awaits the upstream client's promise itself, then
 * asks this object for the client's answer, shaped by the same rules as the
 * handler's `async` path (`clientAnswer`, then `upstreamFailed`, then
 * `requestFailed`) and recorded by the port. A pending answer is one small
 * object; the `async` step it replaces was a promise, its suspended frame
 * and one more resumption.
 *
 * @example
 * ```ts
 * import { ProxiedAnswer } from "./proxied_answer.ts";
 * import type { AnswerRecorder, AnswerOutcome } from "./proxied_answer.ts";
 * import type { IncomingRequest } from "./field_headers.ts";
 * import type { Upstream } from "./upstream_choice.ts";
 * import type { UpstreamResponse } from "./upstream_types.ts";
 * declare const sent: Promise<UpstreamResponse>, recorder: AnswerRecorder<AnswerOutcome>;
 * declare const req: IncomingRequest, chosen: Upstream;
 * const pending = new ProxiedAnswer(sent, recorder, req, { route: "r" }, chosen, []);
 * const answer = pending.done(await pending.upstream);
 * ```
 * @module
 */
import { clientAnswer } from "./client_response.ts";
import { type FastAnswer, type IncomingRequest, PendingAnswer } from "./field_headers.ts";
import { type FailureReport, requestFailed, upstreamFailed } from "./request_failure.ts";
import type { Upstream } from "./upstream_choice.ts";
import type { UpstreamResponse } from "./upstream_types.ts";

/** What a request's outcome is labelled by (the handler's own record of it). */
export interface AnswerOutcome {
  readonly route: string;
  readonly backend?: string;
}

/** The port's side: whom failures are told, and how a request is recorded. */
export interface AnswerRecorder<O extends AnswerOutcome> {
  readonly report: FailureReport;
  /** Records the request's outcome; gives back `answer`. */
  record(req: IncomingRequest, out: O, answer: FastAnswer): FastAnswer;
}

/** A proxied request's answer once its backend's response (or failure) is in. */
export class ProxiedAnswer<O extends AnswerOutcome> extends PendingAnswer {
  constructor(
    readonly upstream: Promise<UpstreamResponse>,
    readonly recorder: AnswerRecorder<O>,
    readonly req: IncomingRequest,
    readonly out: O,
    /** The backend and endpoint chosen, and their response header modifiers. */
    readonly chosen: Upstream,
    readonly cors: readonly [string, string][],
  ) {
    super();
  }

  done(res: UpstreamResponse): FastAnswer {
    let answer: FastAnswer;
    try {
      answer = clientAnswer(res, true, this.chosen.modifiers.response, this.cors);
    } catch (error) {
      // A status a `Response` cannot hold: answered as the async path does.
      return this.failed(error);
    }
    return this.recorder.record(this.req, this.out, answer);
  }

  failed(error: unknown): FastAnswer {
    const report = this.recorder.report;
    let answer: FastAnswer;
    try {
      answer = upstreamFailed(error, this.chosen.backend.id, this.chosen.endpoint, report);
    } catch (other) {
      answer = requestFailed(other, this.out, report);
    }
    return this.recorder.record(this.req, this.out, answer);
  }
}
