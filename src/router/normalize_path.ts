/**
 * Request path normalisation, done once before routing so that every route
 * (and the backend behind it) sees one spelling of a path: `/public/../admin`
 * must not match a route for `/public` while the backend serves `/admin`.
 * @module
 */

/** Dot segments (`/.`, `/..`) anywhere, as a whole segment. */
const DOT_SEGMENT = /\/\.\.?(?:\/|$)/;

/**
 * Normalise the path of an origin-form request target (the part before `?`).
 *
 * - percent-escapes of unreserved characters (ALPHA, DIGIT, `-`, `.`, `_`,
 *   `~`) are decoded, every other escape is upper-cased (`%2f` → `%2F`);
 *   an encoded `/` stays encoded, so it never splits a segment;
 * - repeated slashes collapse into one;
 * - `.` and `..` segments are resolved after decoding (so `%2e%2e` is `..`),
 *   never above the root;
 * - characters a path may not hold raw but that clients send anyway
 *   (`"<>[]^\`{|}` and non-ASCII) are percent-encoded as UTF-8.
 *
 * Returns `null` (the data plane answers 400) when the path does not start
 * with `/`, holds a malformed escape, or holds a control character, space,
 * `#`, `?` or `\` (a backslash is refused rather than kept: some backends
 * read it as `/`, which would reopen the dot-segment bypass).
 *
 * @example
 * ```ts
 * import { normalizePath } from "./normalize_path.ts";
 * normalizePath("/public/%2e%2e/admin"); // "/admin"
 * normalizePath("/a//b/%7euser/%2f"); // "/a/b/~user/%2F"
 * normalizePath("/bad%zz"); // null
 * ```
 */
export function normalizePath(rawPath: string): string | null {
  if (rawPath.charCodeAt(0) !== SLASH) return null;
  if (isAlreadyNormal(rawPath)) return rawPath;
  const decoded = decodeAndCheck(rawPath);
  if (decoded === null) return null;
  return removeDotSegments(decoded);
}

const SLASH = 0x2f;
const PERCENT = 0x25;

/** The common case: nothing to decode, encode, collapse or resolve. */
function isAlreadyNormal(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === PERCENT || !isRawPathChar(c)) return false;
  }
  return !path.includes("//") && !DOT_SEGMENT.test(path);
}

/** pchar (RFC 3986) without percent, plus `/`. */
function isRawPathChar(c: number): boolean {
  return isUnreserved(c) || c === SLASH || c === 0x3a /* : */ || c === 0x40 /* @ */ ||
    c === 0x21 || c === 0x24 || (c >= 0x26 && c <= 0x2c) || c === 0x3b || c === 0x3d;
}

function isUnreserved(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) ||
    c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e;
}

/** Printable ASCII that is not allowed raw but is safe to percent-encode. */
const ENCODABLE = new Set(['"', "<", ">", "[", "]", "^", "`", "{", "|", "}"]);

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

function decodeAndCheck(path: string): string | null {
  let out = "";
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === PERCENT) {
      const hi = hexValue(path.charCodeAt(i + 1));
      const lo = hexValue(path.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return null;
      const byte = hi * 16 + lo;
      out += isUnreserved(byte)
        ? String.fromCharCode(byte)
        : "%" + byte.toString(16).toUpperCase().padStart(2, "0");
      i += 2;
    } else if (isRawPathChar(c)) {
      out += path[i];
    } else if (c >= 0x80) {
      const codePoint = path.codePointAt(i)!;
      const char = String.fromCodePoint(codePoint);
      try {
        out += encodeURIComponent(char);
      } catch {
        return null; // a lone surrogate has no UTF-8 form
      }
      i += char.length - 1;
    } else if (ENCODABLE.has(path[i])) {
      out += "%" + c.toString(16).toUpperCase();
    } else {
      return null;
    }
  }
  return out;
}

function removeDotSegments(path: string): string {
  const segments = path.split("/");
  const kept: string[] = [];
  let trailingSlash = false;
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i];
    const last = i === segments.length - 1;
    if (segment === "" || segment === ".") {
      trailingSlash = last;
    } else if (segment === "..") {
      kept.pop();
      trailingSlash = last;
    } else {
      kept.push(segment);
      trailingSlash = false;
    }
  }
  if (kept.length === 0) return "/";
  return "/" + kept.join("/") + (trailingSlash ? "/" : "");
}
