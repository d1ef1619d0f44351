/**
 * The request fuzzer's oracle over what the backend read: nothing reached it
 * that the gateway did not send as one request, every request it read was
 * answered to the client, every one carries the route's header, and
 * complete requests arrive with the method and body the client framed (so
 * the canary is never inside a body).
 * @module
 */
import type { FramedRequest, ReadResponse } from "./_message_reference.ts";
import type { SeenRequest } from "./_recording_backend.ts";

/** The header every rule that reaches the backend sets. */
export const ROUTE_HEADER = "x-fuzz-route";

/** The target as a URL parser spells it (raw UTF-8 in a path is percent-encoded at the backend). */
export function normalTarget(target: string): string {
  try {
    const url = new URL(target, "http://fuzz.example");
    return url.pathname + url.search;
  } catch {
    return target;
  }
}

/** What one case produced. */
export interface CaseRecord {
  /** The requests a strict server frames from the client's bytes; `undefined`: not complete. */
  framed: FramedRequest[] | undefined;
  responses: ReadResponse[];
  seen: SeenRequest[];
  /** `METHOD target` of each request the gateway sent upstream. */
  sent: string[];
}

/** Why the backend's view disagrees with the gateway's; `undefined` when it agrees. */
export function judgeBackend({ framed, responses, seen, sent }: CaseRecord): string | undefined {
  // Every request the backend read was sent by the gateway as one request (nothing smuggled).
  let at = 0;
  for (const r of seen) {
    while (at < sent.length && sent[at] !== `${r.method} ${normalTarget(r.target)}`) at++;
    if (at === sent.length) {
      return `backend read ${r.method} ${r.target}, which the gateway never sent (sent: ${sent})`;
    }
    at++;
  }
  const answered = responses.map((r) => r.headers.find(([n]) => n === "x-seen")?.[1])
    .filter((s) => s !== undefined);
  const reached = seen.map((r) => String(r.seq));
  const lost = framed === undefined
    ? answered.filter((s) => !reached.includes(s))
    : reached.join(",") === answered.join(",")
    ? []
    : reached;
  if (lost.length > 0) {
    return `backend read [${reached}] but the client got answers for [${answered}]`;
  }
  for (const r of seen) {
    if (r.headers.get(ROUTE_HEADER) !== "set") {
      return `request ${r.method} ${r.target} reached the backend with ${ROUTE_HEADER}: ${
        r.headers.get(ROUTE_HEADER)
      }`;
    }
  }
  if (framed !== undefined && seen.some((r) => r.body.includes("/canary"))) {
    return "the canary reached the backend inside a body although the requests before it were complete";
  }
  // Complete requests reach the backend with the method and body the client framed.
  if (framed !== undefined) {
    const expected = framed.map((r) => `${r.method} ${JSON.stringify(r.body)}`);
    for (const r of seen.filter((r) => r.target !== "/canary")) {
      const at = expected.indexOf(`${r.method} ${JSON.stringify(r.body)}`);
      if (at === -1) {
        return `backend read ${r.method} with body ${
          JSON.stringify(r.body.slice(0, 80))
        }, not framed so by the client`;
      }
      expected.splice(at, 1);
    }
  }
  return undefined;
}
