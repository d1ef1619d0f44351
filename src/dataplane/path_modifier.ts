/**
 * Path rewriting shared by URLRewrite and RequestRedirect
 * (`HTTPPathModifier`: ReplaceFullPath and ReplacePrefixMatch).
 * @module
 */
import type { MatchConfig, PathModifierConfig } from "../model/config.ts";

/**
 * Replaces the matched prefix of `path` by `replacement`, on whole path
 * elements, so that the result never contains `//` at the seam and is never
 * empty: `/foo/bar` with prefix `/foo` and replacement `` or `/` gives `/bar`;
 * `/foo/` with `/xyz` gives `/xyz/`; `/foo` with `/xyz/` gives `/xyz`.
 *
 * @example
 * ```ts
 * import { replacePrefix } from "./path_modifier.ts";
 * replacePrefix("/prefix/one/two", "/prefix", "/"); // "/one/two"
 * ```
 */
export function replacePrefix(path: string, prefix: string, replacement: string): string {
  // A trailing slash of the prefix is ignored by PathPrefix matching, so the
  // same is done here; the rest then starts with "/" or is empty.
  const matched = trimTrailingSlashes(prefix);
  const rest = path.startsWith(matched) ? path.slice(matched.length) : path;
  const head = trimTrailingSlashes(replacement);
  let result = head + rest;
  if (result === "") return "/";
  if (result[0] !== "/") result = "/" + result;
  return result;
}

function trimTrailingSlashes(value: string): string {
  let end = value.length;
  while (end > 0 && value.charCodeAt(end - 1) === 47 /* / */) end--;
  return value.slice(0, end);
}

/**
 * The path after applying `modifier` to a request matched by `match`.
 * ReplacePrefixMatch on a match that is not PathPrefix (translate rejects
 * that combination) replaces the whole path rather than guessing a prefix.
 */
export function modifyPath(path: string, match: MatchConfig, modifier: PathModifierConfig): string {
  if (modifier.type === "ReplaceFullPath") return modifier.value === "" ? "/" : modifier.value;
  if (match.path.type === "PathPrefix") {
    return replacePrefix(path, match.path.value, modifier.value);
  }
  return replacePrefix(path, path, modifier.value);
}
