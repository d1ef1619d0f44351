/**
 * The request-target a client sent, recovered from `Request.url`.
 *
 * `Deno.serve` builds `req.url` as `<scheme>://<authority><target>` without
 * parsing the target: the path and query keep the client's spelling
 * (`..`, `//`, `%2e`, case of escapes), which is what a proxy must forward.
 * The authority is the `Host` header (any bytes) or, for an absolute-form
 * target, the target's own authority. Limits: the request line is decoded as
 * UTF-8, so raw non-UTF-8 bytes in a target cannot be reproduced, and a
 * fragment a client wrongly sent stays in the target (the path check then
 * refuses it).
 * @module
 */

/**
 * Splits `url` (a `Request.url` from `Deno.serve`) into the authority it
 * carries and the raw request-target.
 *
 * @example
 * ```ts
 * import { splitRequestUrl } from "./request_target.ts";
 * splitRequestUrl("http://a.com:8080/x/../y?q", "a.com:8080"); // { authority: "a.com:8080", target: "/x/../y?q" }
 * ```
 */
export function splitRequestUrl(
  url: string,
  hostHeader: string | null,
): { authority: string; target: string } {
  const schemeEnd = url.indexOf("://");
  const start = schemeEnd === -1 ? 0 : schemeEnd + 3;
  let end = hostHeader ? start + hostHeader.length : -1;
  const next = end === -1 ? -1 : url.charCodeAt(end);
  if (
    end !== -1 && url.startsWith(hostHeader!, start) &&
    (end === url.length || next === 47 || next === 63)
  ) {
    // The Host header may itself hold "/" or "?": take its length, not a search.
  } else {
    end = start;
    while (end < url.length) {
      const c = url.charCodeAt(end);
      if (c === 47 /* / */ || c === 63 /* ? */) break;
      end++;
    }
  }
  const target = url.slice(end);
  return {
    authority: url.slice(start, end),
    target: target === "" ? "/" : target.charCodeAt(0) === 63 ? "/" + target : target,
  };
}
