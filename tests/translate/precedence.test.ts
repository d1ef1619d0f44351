import { assertEquals } from "@std/assert";
import type { MatchConfig } from "../../src/model/config.ts";
import { type RankedMatch, sortMatches } from "../../src/translate/precedence.ts";
import { timestampMs } from "../../src/translate/context.ts";

function ranked(
  id: string,
  path: MatchConfig["path"],
  extra: Partial<MatchConfig> & { createdAt?: string; ruleIndex?: number; matchIndex?: number } =
    {},
): RankedMatch {
  const { createdAt, ruleIndex = 0, matchIndex = 0, ...rest } = extra;
  return {
    match: { id, rule: `${id}-rule`, route: "ns/r", path, headers: [], queryParams: [], ...rest },
    createdAt: timestampMs(createdAt),
    ruleIndex,
    matchIndex,
  };
}

const ids = (list: RankedMatch[]) => sortMatches(list).map((m) => m.id);
const header = { type: "Exact" as const, name: "x", value: "1" };

Deno.test("Exact path comes before PathPrefix of the same value", () => {
  assertEquals(
    ids([
      ranked("prefix", { type: "PathPrefix", value: "/foo" }),
      ranked("exact", { type: "Exact", value: "/foo" }),
    ]),
    ["exact", "prefix"],
  );
});

Deno.test("longer PathPrefix comes first", () => {
  assertEquals(
    ids([
      ranked("root", { type: "PathPrefix", value: "/" }),
      ranked("deep", { type: "PathPrefix", value: "/foo/bar" }),
      ranked("foo", { type: "PathPrefix", value: "/foo" }),
    ]),
    ["deep", "foo", "root"],
  );
});

Deno.test("RegularExpression paths rank after Exact and before PathPrefix", () => {
  assertEquals(
    ids([
      ranked("prefix", { type: "PathPrefix", value: "/very/long/prefix" }),
      ranked("regex", { type: "RegularExpression", value: "/v[0-9]+" }),
      ranked("exact", { type: "Exact", value: "/x" }),
    ]),
    ["exact", "regex", "prefix"],
  );
});

Deno.test("method match beats more header matches; more headers beat more query params", () => {
  const path = { type: "PathPrefix" as const, value: "/api" };
  assertEquals(
    ids([
      ranked("query", path, { queryParams: [header, header] }),
      ranked("headers", path, { headers: [header, header] }),
      ranked("one-header", path, { headers: [header], queryParams: [header] }),
      ranked("method", path, { method: "GET" }),
    ]),
    ["method", "headers", "one-header", "query"],
  );
});

Deno.test("ties go to the oldest route, then namespace/name, then rule and match index", () => {
  const path = { type: "PathPrefix" as const, value: "/" };
  const a = ranked("b-old", path, { createdAt: "2026-01-01T00:00:00Z" });
  a.match.route = "ns/b";
  const b = ranked("a-new", path, { createdAt: "2026-02-01T00:00:00Z" });
  b.match.route = "ns/a";
  const c = ranked("a-new-rule1", path, { createdAt: "2026-02-01T00:00:00Z", ruleIndex: 1 });
  c.match.route = "ns/a";
  const d = ranked("c-new-rule0-match1", path, {
    createdAt: "2026-02-01T00:00:00Z",
    matchIndex: 1,
  });
  d.match.route = "ns/c";
  const e = ranked("c-new-rule0-match0", path, { createdAt: "2026-02-01T00:00:00Z" });
  e.match.route = "ns/c";
  assertEquals(ids([d, c, e, b, a]), [
    "b-old",
    "a-new",
    "a-new-rule1",
    "c-new-rule0-match0",
    "c-new-rule0-match1",
  ]);
});

Deno.test("sorting is independent of input order", () => {
  const list = [
    ranked("1", { type: "PathPrefix", value: "/a" }),
    ranked("2", { type: "Exact", value: "/a" }),
    ranked("3", { type: "PathPrefix", value: "/a" }, { method: "POST" }),
    ranked("4", { type: "RegularExpression", value: "/a.*" }),
  ];
  const expected = ids(list);
  assertEquals(ids([...list].reverse()), expected);
  assertEquals(ids([list[2], list[0], list[3], list[1]]), expected);
});
