/**
 * `PathIndex` keeps no storage for kinds of path it was never given (hosts
 * share one empty list until their first entry): entries added to one index
 * never show in another.
 */
import { assertEquals } from "@std/assert";
import { PathIndex } from "../../src/router/path_index.ts";
import { compileMatch } from "../../src/router/compiled_match.ts";
import { LazyQuery } from "../../src/router/query_params.ts";
import type { MatchConfig } from "../../src/model/config.ts";
import type { RouteRequest } from "../../src/router/router.ts";

function match(id: string, type: MatchConfig["path"]["type"], value: string): MatchConfig {
  return {
    id,
    rule: `${id}/rule`,
    route: "default/r",
    path: { type, value },
    headers: [],
    queryParams: [],
  };
}

function request(path: string): RouteRequest {
  return { port: 80, host: "a.test", method: "GET", path, query: "", headers: new Headers() };
}

function find(index: PathIndex<string>, path: string): string | undefined {
  return index.find(request(path), new LazyQuery(""));
}

Deno.test("entries of one PathIndex never show in another, of any path kind", () => {
  const first = new PathIndex<string>();
  const second = new PathIndex<string>();
  const configs = [
    match("exact", "Exact", "/x"),
    match("root", "PathPrefix", "/"),
    match("deep", "PathPrefix", "/a/b"),
    match("regex", "RegularExpression", "/r.*"),
  ];
  configs.forEach((config, order) =>
    first.add({ order, compiled: compileMatch(config), result: config.id })
  );
  assertEquals(find(first, "/x"), "exact");
  assertEquals(find(first, "/a/b/c"), "root");
  assertEquals(find(second, "/x"), undefined);
  assertEquals(find(second, "/a/b"), undefined);
  assertEquals(find(second, "/rr"), undefined);
  second.add({
    order: 0,
    compiled: compileMatch(match("deep2", "PathPrefix", "/a/b")),
    result: "deep2",
  });
  assertEquals(find(second, "/a/b/c"), "deep2");
  assertEquals(find(second, "/a"), undefined);
});

Deno.test("several entries for one path keep their precedence order", () => {
  const index = new PathIndex<string>();
  ["one", "two", "three"].forEach((id, order) =>
    index.add({ order, compiled: compileMatch(match(id, "PathPrefix", "/p")), result: id })
  );
  assertEquals(find(index, "/p/q"), "one");
});
