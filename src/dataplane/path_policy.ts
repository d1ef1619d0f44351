/**
 * The path policy: what the data plane does with a request path before
 * routing, so that the rule a request matched is the rule whose backend
 * path it reaches.
 *
 * Routing always sees the normalised path (`normalizePath`). When the
 * client's spelling differs from it only in spelling (escape case, escaped
 * unreserved characters such as `%7E`), the path goes upstream as sent;
 * when normalisation changed its structure (`//`, `.` or `..` segments,
 * encoded or not), the normalised path goes upstream instead, so the
 * backend never resolves `/public/%2e%2e/admin` itself. Two things
 * normalisation cannot settle are decided here:
 *
 * - escaped separators (`%2F`, `%5C`): a backend that decodes them, or reads
 *   `\` as `/`, sees other segments than routing did (`/public/..%2Fadmin`
 *   is `/admin` to it); handled as `EscapedSlashPolicy` says. Under `keep`
 *   the path is refused when decoding them would make a dot segment, and
 *   the caller refuses it when the decoded path selects another rule;
 * - dot segments with path parameters (`..;x`, `.;`, `..%3B`): servlet
 *   containers strip `;x` and then resolve `..`; always refused.
 * @module
 */
import { normalizePath } from "../router/normalize_path.ts";
import type { EscapedSlashPolicy } from "./request_policy.ts";

/** What to do with a request path. */
export type PathDecision =
  | {
    action: "route";
    /** The path to route on. */
    path: string;
    /** The path to forward: the client's spelling, or `path` when the structure changed. */
    forward: string;
    /**
     * Under `keep`, the path with escaped separators decoded: it must select
     * the same rule as `path`, or the request is refused.
     */
    decoded?: string;
  }
  | { action: "redirect"; path: string }
  | { action: "reject"; reason: string };

/** Escaped `/` or `\` after `normalizePath` (which upper-cases escapes). */
const ESCAPED_SLASH = /%2F|%5C/g;
/** A segment that is `.` or `..` followed by path parameters (`;`, or `%3B` decoded later). */
const DOT_SEGMENT_WITH_PARAMS = /(?:^|\/)\.\.?(?:;|%3B)/;
/** A whole `.` or `..` segment. */
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;
const ESCAPED_DOT = /%2e/gi;

/**
 * Decides what happens to `rawPath` (the path of the request-target, no
 * query) under `escapedSlashes`.
 *
 * @example
 * ```ts
 * import { decidePath } from "./path_policy.ts";
 * decidePath("/public/..%2Fadmin", "redirect"); // { action: "redirect", path: "/admin" }
 * decidePath("/a/%7Eb", "keep"); // { action: "route", path: "/a/~b", forward: "/a/%7Eb" }
 * decidePath("/public/..;/admin", "keep"); // { action: "reject", ... }
 * ```
 */
export function decidePath(rawPath: string, escapedSlashes: EscapedSlashPolicy): PathDecision {
  if (rawPath === lastPath && escapedSlashes === lastPolicy) return lastDecision;
  const decision = decideAnew(rawPath, escapedSlashes);
  lastPath = rawPath;
  lastPolicy = escapedSlashes;
  lastDecision = decision;
  return decision;
}

/**
 * The last path decided and its decision (which no caller changes): a
 * client asks for the same path over and over, and one comparison of it
 * costs less than the checks and searches that decide it again.
 */
let lastPath: string | undefined;
let lastPolicy: EscapedSlashPolicy | undefined;
let lastDecision: PathDecision = { action: "reject", reason: "invalid request path" };

function decideAnew(rawPath: string, escapedSlashes: EscapedSlashPolicy): PathDecision {
  const path = normalizePath(rawPath);
  if (path === null) return { action: "reject", reason: "invalid request path" };
  const escaped = path.includes("%");
  if (path === rawPath && !escaped && !path.includes(";")) {
    return { action: "route", path, forward: path };
  }
  if (DOT_SEGMENT_WITH_PARAMS.test(path)) {
    return { action: "reject", reason: "dot segment with path parameters" };
  }
  const forward = sameStructure(rawPath) ? rawPath : path;
  // A backslash is read as `/` by the backends this guards: decode both to `/`.
  const decoded = escaped ? path.replace(ESCAPED_SLASH, "/") : path;
  if (decoded === path) return { action: "route", path, forward };
  switch (escapedSlashes) {
    case "reject":
      return { action: "reject", reason: "escaped slash (%2F or %5C) in the path" };
    case "keep":
      return DOT_SEGMENT.test(decoded) || decoded.includes("//")
        ? { action: "reject", reason: "dot segment or empty segment behind an escaped slash" }
        : { action: "route", path, forward, decoded };
  }
  const unescaped = normalizePath(decoded);
  if (unescaped === null) return { action: "reject", reason: "invalid request path" };
  return escapedSlashes === "redirect"
    ? { action: "redirect", path: unescaped }
    : { action: "route", path: unescaped, forward: unescaped };
}

/** Whether normalising `rawPath` changes only its spelling, not its segments. */
function sameStructure(rawPath: string): boolean {
  if (rawPath.includes("//")) return false;
  const dotsDecoded = rawPath.includes("%") ? rawPath.replace(ESCAPED_DOT, ".") : rawPath;
  return !DOT_SEGMENT.test(dotsDecoded);
}
