import { assertEquals } from "@std/assert";
import { normalizePath } from "../../src/router/normalize_path.ts";

const cases: [string, string, string | null][] = [
  ["a normal path is unchanged", "/api/v1/users", "/api/v1/users"],
  ["the root is unchanged", "/", "/"],
  ["a trailing slash is kept", "/api/", "/api/"],
  ["a file name with dots is unchanged", "/static/app.min.js", "/static/app.min.js"],
  [
    "segments starting with dots are not dot segments",
    "/.well-known/..x/...",
    "/.well-known/..x/...",
  ],
  ["/public/../admin resolves to /admin", "/public/../admin", "/admin"],
  ["/public/%2e%2e/admin resolves to /admin", "/public/%2e%2e/admin", "/admin"],
  ["/public/%2E%2E/admin resolves to /admin", "/public/%2E%2E/admin", "/admin"],
  ["/public/.%2e/admin resolves to /admin", "/public/.%2e/admin", "/admin"],
  ["single dot segments are removed", "/a/./b/.", "/a/b/"],
  [".. never climbs above the root", "/../../etc/passwd", "/etc/passwd"],
  ["a final .. leaves a trailing slash", "/a/b/..", "/a/"],
  ["/.. is the root", "/..", "/"],
  ["repeated slashes collapse", "//a///b//", "/a/b/"],
  ["slashes collapse before dot segments resolve", "/a//../b", "/b"],
  ["percent-encoded unreserved characters are decoded", "/%7Euser/%41%62%2D%5F%2E", "/~user/Ab-_."],
  ["other percent-escapes are upper-cased", "/a%2fb/%c3%a9", "/a%2Fb/%C3%A9"],
  ["an encoded slash stays encoded and does not split a segment", "/a/%2F..%2F/b", "/a/%2F..%2F/b"],
  ["an encoded percent stays encoded", "/100%25", "/100%25"],
  ["%2e%2e next to an encoded slash is not a dot segment", "/a/%2e%2e%2fb", "/a/..%2Fb"],
  ["sub-delims, colon and at-sign are kept raw", "/a:b@c!$&'()*+,;=", "/a:b@c!$&'()*+,;="],
  [
    "characters clients send raw are percent-encoded",
    '/a|b{c}"<>^`[]',
    "/a%7Cb%7Bc%7D%22%3C%3E%5E%60%5B%5D",
  ],
  ["non-ASCII is percent-encoded as UTF-8", "/caf\u00e9/\u{1F600}", "/caf%C3%A9/%F0%9F%98%80"],
  ["an empty path is not origin-form", "", null],
  ["a path without a leading slash is not origin-form", "api/v1", null],
  ["asterisk-form is not origin-form", "*", null],
  ["absolute-form is not origin-form", "http://example.com/", null],
  ["a truncated escape is malformed", "/a%2", null],
  ["a non-hex escape is malformed", "/a%zz", null],
  ["a lone percent is malformed", "/100%", null],
  ["a space is refused", "/a b", null],
  ["a control character is refused", "/a\u0000b", null],
  ["a question mark is refused (the query is not part of the path)", "/a?b", null],
  ["a fragment is refused", "/a#b", null],
  ["a backslash is refused", "/public\\..\\admin", null],
  ["a lone surrogate is refused", "/a\ud800", null],
];

for (const [name, input, expected] of cases) {
  Deno.test(`normalizePath: ${name}`, () => {
    assertEquals(normalizePath(input), expected);
  });
}

Deno.test("normalizePath: the result is already normal", () => {
  for (const [, input] of cases) {
    const once = normalizePath(input);
    if (once !== null) assertEquals(normalizePath(once), once, input);
  }
});
