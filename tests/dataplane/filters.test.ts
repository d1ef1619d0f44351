import { assertEquals } from "@std/assert";
import { applyHeaderModifier } from "../../src/dataplane/header_modifier.ts";
import { connectionListedHeaders, isHopByHop } from "../../src/dataplane/hop_by_hop.ts";
import { replacePrefix } from "../../src/dataplane/path_modifier.ts";
import { type RedirectFilter, redirectLocation } from "../../src/dataplane/redirect.ts";
import { splitRequestUrl } from "../../src/dataplane/request_target.ts";
import type { MatchConfig } from "../../src/model/config.ts";

const prefixMatch = (value: string): MatchConfig => ({
  id: "m",
  rule: "r",
  route: "ns/r",
  path: { type: "PathPrefix", value },
  headers: [],
  queryParams: [],
});

Deno.test("ReplacePrefixMatch follows the spec's table of slash cases", () => {
  // [request path, prefix match, replacement, expected] from HTTPPathModifier's doc.
  const cases: [string, string, string, string][] = [
    ["/foo/bar", "/foo", "/xyz", "/xyz/bar"],
    ["/foo/bar", "/foo", "/xyz/", "/xyz/bar"],
    ["/foo/bar", "/foo/", "/xyz", "/xyz/bar"],
    ["/foo/bar", "/foo/", "/xyz/", "/xyz/bar"],
    ["/foo", "/foo", "/xyz", "/xyz"],
    ["/foo/", "/foo", "/xyz", "/xyz/"],
    ["/foo/bar", "/foo", "", "/bar"],
    ["/foo/", "/foo", "", "/"],
    ["/foo", "/foo", "", "/"],
    ["/foo/", "/foo", "/", "/"],
    ["/foo", "/foo", "/", "/"],
    ["/prefix/one/two", "/prefix", "/", "/one/two"],
    ["/a/b", "/", "/api", "/api/a/b"],
  ];
  for (const [path, prefix, replacement, expected] of cases) {
    assertEquals(
      replacePrefix(path, prefix, replacement),
      expected,
      `${path} ${prefix} ${replacement}`,
    );
  }
});

Deno.test("redirect Location follows the port and scheme rules of the conformance suite", () => {
  const f = (extra: Partial<RedirectFilter>): RedirectFilter => ({
    type: "RequestRedirect",
    statusCode: 302,
    hostname: "example.org",
    ...extra,
  });
  const on = (scheme: "http" | "https", listenerPort: number) => ({
    scheme,
    host: "gw.local",
    listenerPort,
    path: "/p",
    query: "",
    match: prefixMatch("/"),
  });
  const cases: [RedirectFilter, ReturnType<typeof on>, string][] = [
    // Listener on 80.
    [f({}), on("http", 80), "http://example.org/p"],
    [f({ port: 80 }), on("http", 80), "http://example.org/p"],
    [f({ port: 8080 }), on("http", 80), "http://example.org:8080/p"],
    [f({ scheme: "https" }), on("http", 80), "https://example.org/p"],
    [f({ scheme: "https", port: 443 }), on("http", 80), "https://example.org/p"],
    [f({ scheme: "https", port: 8443 }), on("http", 80), "https://example.org:8443/p"],
    // Listener on 8080: an unset port with unset scheme keeps the listener port.
    [f({}), on("http", 8080), "http://example.org:8080/p"],
    [f({ port: 80 }), on("http", 8080), "http://example.org/p"],
    [f({ scheme: "https" }), on("http", 8080), "https://example.org/p"],
    // HTTPS listener on 443.
    [f({}), on("https", 443), "https://example.org/p"],
    [f({ port: 443 }), on("https", 443), "https://example.org/p"],
    [f({ port: 8443 }), on("https", 443), "https://example.org:8443/p"],
    [f({ scheme: "http" }), on("https", 443), "http://example.org/p"],
    [f({ scheme: "http", port: 80 }), on("https", 443), "http://example.org/p"],
    [f({ scheme: "http", port: 8080 }), on("https", 443), "http://example.org:8080/p"],
  ];
  for (const [filter, input, expected] of cases) {
    assertEquals(redirectLocation(filter, input), expected, JSON.stringify({ filter, input }));
  }
});

Deno.test("redirect keeps the request host and query and rewrites the path", () => {
  const input = {
    scheme: "http" as const,
    host: "gw.local",
    listenerPort: 80,
    path: "/original-prefix/lemon",
    query: "a=1&b",
    match: prefixMatch("/original-prefix"),
  };
  assertEquals(
    redirectLocation({
      type: "RequestRedirect",
      statusCode: 301,
      path: { type: "ReplacePrefixMatch", value: "/replacement-prefix" },
    }, input),
    "http://gw.local/replacement-prefix/lemon?a=1&b",
  );
  assertEquals(
    redirectLocation({
      type: "RequestRedirect",
      statusCode: 301,
      path: { type: "ReplaceFullPath", value: "/full-path-replacement" },
    }, input),
    "http://gw.local/full-path-replacement?a=1&b",
  );
  assertEquals(
    redirectLocation({ type: "RequestRedirect", statusCode: 302, hostname: "::1" }, input),
    "http://[::1]/original-prefix/lemon?a=1&b",
  );
});

Deno.test("header modifier add appends with a bare comma, set overwrites, remove deletes", () => {
  const h = new Headers({
    "x-header-add-append": "append-val-1",
    "x-header-set": "set-val",
    "x-header-remove": "r",
  });
  applyHeaderModifier(h, {
    set: [{ name: "X-Header-Set", value: "set-overwrites-values" }],
    add: [
      { name: "X-Header-Add", value: "header-val-1" },
      { name: "X-Header-Add-Append", value: "header-val-2" },
    ],
    remove: ["X-HEADER-REMOVE"],
  });
  assertEquals(h.get("x-header-add"), "header-val-1");
  assertEquals(h.get("x-header-add-append"), "append-val-1,header-val-2");
  assertEquals(h.get("x-header-set"), "set-overwrites-values");
  assertEquals(h.has("x-header-remove"), false);
});

Deno.test("headers listed in Connection are hop-by-hop, close and keep-alive are not names", () => {
  assertEquals(connectionListedHeaders("close"), undefined);
  assertEquals(connectionListedHeaders("keep-alive"), undefined);
  assertEquals(connectionListedHeaders("Keep-Alive"), undefined);
  assertEquals(connectionListedHeaders("CLOSE"), undefined);
  assertEquals([...connectionListedHeaders("X-Trace")!], ["x-trace"]);
  const listed = connectionListedHeaders("keep-alive, X-Trace ,close");
  assertEquals([...listed!], ["x-trace"]);
  assertEquals(isHopByHop("x-trace", listed), true);
  assertEquals(isHopByHop("te", undefined), true);
  assertEquals(isHopByHop("x-other", listed), false);
});

Deno.test("the raw request-target is recovered from Request.url", () => {
  assertEquals(splitRequestUrl("http://a.com:8080/x/../y//z?q=%2F", "a.com:8080"), {
    authority: "a.com:8080",
    target: "/x/../y//z?q=%2F",
  });
  // A Host header holding "/" must not cut the target short.
  assertEquals(splitRequestUrl("http://a/b/x", "a/b").target, "/x");
  // Absolute-form: the URL carries the target's own authority.
  assertEquals(splitRequestUrl("http://other.com:99/y?z", "a.com"), {
    authority: "other.com:99",
    target: "/y?z",
  });
  assertEquals(splitRequestUrl("http://a.com.evil/x", "a.com").authority, "a.com.evil");
  assertEquals(splitRequestUrl("http://localhost:80/x", null).target, "/x");
});
