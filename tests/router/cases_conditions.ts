/**
 * Router cases: header, query parameter and method conditions.
 * @module
 */
import { prefix, route } from "./builders.ts";
import { c, type RouteScenario, simple } from "./case_types.ts";

export const conditionScenarios: RouteScenario[] = [
  {
    name: "Header matching",
    config: simple(
      route(
        "headers",
        { matches: [{ headers: { version: "one" } }] },
        { matches: [{ headers: { version: "two" } }] },
        { matches: [{ headers: { version: "two", color: "orange" } }] },
        { matches: [{ headers: { color: "blue" } }, { headers: { color: "green" } }] },
        { matches: [{ headers: { color: "red" } }, { headers: { color: "yellow" } }] },
      ),
    ),
    cases: [
      c("header version: one", { headers: { Version: "one" } }, "headers/rule/0/match/0"),
      c("header version: two", { headers: { Version: "two" } }, "headers/rule/1/match/0"),
      c("two headers beat one (version: two, color: orange)", {
        headers: { Version: "two", Color: "orange" },
      }, "headers/rule/2/match/0"),
      c("version: two with color: blue falls back to the version: two rule", {
        headers: { Version: "two", Color: "blue" },
      }, "headers/rule/1/match/0"),
      c("color: orange alone matches nothing", { headers: { Color: "orange" } }, null),
      c("an unrelated header matches nothing", { headers: { "Some-Other-Header": "one" } }, null),
      c("color: blue", { headers: { Color: "blue" } }, "headers/rule/3/match/0"),
      c("color: green", { headers: { Color: "green" } }, "headers/rule/3/match/1"),
      c("color: red", { headers: { Color: "red" } }, "headers/rule/4/match/0"),
      c("color: yellow", { headers: { Color: "yellow" } }, "headers/rule/4/match/1"),
      c("color: purple matches nothing", { headers: { Color: "purple" } }, null),
      c("header values are case-sensitive: Version: One", { headers: { Version: "One" } }, null),
      c("header names are case-insensitive: VERSION: one", {
        headers: { VERSION: "one" },
      }, "headers/rule/0/match/0"),
    ],
  },
  {
    name: "Header edge cases",
    config: simple(
      route("re", { matches: [{ headers: { "x-id": { regex: "[0-9]+" } } }] }),
      route("dup", {
        matches: [{
          path: prefix("/dup"),
          headers: [
            { type: "Exact", name: "x-env", value: "prod" },
            { type: "Exact", name: "X-Env", value: "dev" },
          ],
        }],
      }),
      route("joined", { matches: [{ path: prefix("/joined"), headers: { "x-tag": "a, b" } }] }),
    ),
    cases: [
      c(
        "header RegularExpression [0-9]+ matches 123",
        { headers: { "X-Id": "123" } },
        "re/rule/0/match/0",
      ),
      c("header RegularExpression is a full match: 123abc does not match", {
        headers: { "X-Id": "123abc" },
      }, null),
      c("only the first condition for a header name counts (x-env: prod)", {
        path: "/dup",
        headers: { "x-env": "prod" },
      }, "dup/rule/0/match/0"),
      c("a later condition for the same header name is ignored (x-env: dev)", {
        path: "/dup",
        headers: { "x-env": "dev" },
      }, null),
      c("a repeated request header is matched as its values joined by comma-space", {
        path: "/joined",
        headers: [["x-tag", "a"], ["x-tag", "b"]],
      }, "joined/rule/0/match/0"),
    ],
  },
  {
    name: "Query param matching",
    config: simple(
      route(
        "query",
        { matches: [{ queryParams: { animal: "whale" } }] },
        { matches: [{ queryParams: { animal: "dolphin" } }] },
        {
          matches: [
            { queryParams: { animal: "dolphin", color: "blue" } },
            { queryParams: { ANIMAL: "Whale" } },
          ],
        },
        { matches: [{ path: prefix("/path1"), queryParams: { animal: "whale" } }] },
        { matches: [{ headers: { version: "one" }, queryParams: { animal: "whale" } }] },
        {
          matches: [{
            path: prefix("/path2"),
            headers: { version: "two" },
            queryParams: { animal: "whale" },
          }],
        },
        {
          matches: [
            { path: prefix("/path3"), queryParams: { animal: "shark" } },
            {
              path: prefix("/path4"),
              headers: { version: "three" },
              queryParams: { animal: "kraken" },
            },
          ],
        },
        { matches: [{ path: prefix("/path5") }] },
        { matches: [{ queryParams: { animal: "hydra" } }] },
        { matches: [{ headers: { version: "four" } }] },
        { matches: [{ path: prefix("/re"), queryParams: { id: { regex: "[a-f]+" } } }] },
      ),
    ),
    cases: [
      c("animal=whale", { path: "/?animal=whale" }, "query/rule/0/match/0"),
      c("animal=dolphin", { path: "/?animal=dolphin" }, "query/rule/1/match/0"),
      c("two params beat one (animal=dolphin&color=blue)", {
        path: "/?animal=dolphin&color=blue",
      }, "query/rule/2/match/0"),
      c("query names are case-sensitive (ANIMAL=Whale)", {
        path: "/?ANIMAL=Whale",
      }, "query/rule/2/match/1"),
      c(
        "extra params are ignored",
        { path: "/?animal=whale&otherparam=irrelevant" },
        "query/rule/0/match/0",
      ),
      c(
        "animal=dolphin&color=yellow",
        { path: "/?animal=dolphin&color=yellow" },
        "query/rule/1/match/0",
      ),
      c("color=blue alone matches nothing", { path: "/?color=blue" }, null),
      c("animal=dog matches nothing", { path: "/?animal=dog" }, null),
      c("animal=whaledolphin matches nothing (Exact is whole value)", {
        path: "/?animal=whaledolphin",
      }, null),
      c("no query matches nothing", { path: "/" }, null),
      c("path and query together", { path: "/path1?animal=whale" }, "query/rule/3/match/0"),
      c("header and query together", {
        path: "/?animal=whale",
        headers: { version: "one" },
      }, "query/rule/4/match/0"),
      c("path, header and query together", {
        path: "/path2?animal=whale",
        headers: { version: "two" },
      }, "query/rule/5/match/0"),
      c("OR'd matches: the first alone", { path: "/path3?animal=shark" }, "query/rule/6/match/0"),
      c("OR'd matches: the second alone", {
        path: "/path4?animal=kraken",
        headers: { version: "three" },
      }, "query/rule/6/match/1"),
      c("AND'd conditions: query without path does not match", { path: "/?animal=shark" }, null),
      c("AND'd conditions: path and query without header do not match", {
        path: "/path4?animal=kraken",
      }, null),
      c(
        "a longer path prefix beats a query match",
        { path: "/path5?animal=hydra" },
        "query/rule/7/match/0",
      ),
      c("a header match beats a query match", {
        path: "/?animal=hydra",
        headers: { version: "four" },
      }, "query/rule/9/match/0"),
      c("a repeated query param matches on its first value", {
        path: "/?animal=whale&animal=dolphin",
      }, "query/rule/0/match/0"),
      c("a repeated query param never matches on a later value", {
        path: "/?animal=dog&animal=whale",
      }, null),
      c("query values are percent-decoded", { path: "/?animal=wh%61le" }, "query/rule/0/match/0"),
      c(
        "query RegularExpression is a full match",
        { path: "/re?id=beef" },
        "query/rule/10/match/0",
      ),
      c("query RegularExpression does not match a partial value", { path: "/re?id=beefy" }, null),
    ],
  },
  {
    name: "Method matching",
    config: simple(
      route(
        "method",
        { matches: [{ method: "POST" }] },
        { matches: [{ method: "GET" }] },
        { matches: [{ path: prefix("/path1"), method: "GET" }] },
        { matches: [{ headers: { version: "one" }, method: "PUT" }] },
        { matches: [{ path: prefix("/path2"), headers: { version: "two" }, method: "POST" }] },
        {
          matches: [
            { path: prefix("/path3"), method: "PATCH" },
            { path: prefix("/path4"), headers: { version: "three" }, method: "DELETE" },
          ],
        },
        { matches: [{ path: prefix("/path5") }] },
        { matches: [{ method: "PATCH" }] },
        { matches: [{ headers: { version: "four" } }] },
      ),
    ),
    cases: [
      c("method POST", { method: "POST" }, "method/rule/0/match/0"),
      c("method GET", { method: "GET" }, "method/rule/1/match/0"),
      c("method HEAD matches nothing", { method: "HEAD" }, null),
      c("path and method", { path: "/path1", method: "GET" }, "method/rule/2/match/0"),
      c("header and method", {
        method: "PUT",
        headers: { version: "one" },
      }, "method/rule/3/match/0"),
      c("path, header and method", {
        path: "/path2",
        method: "POST",
        headers: { version: "two" },
      }, "method/rule/4/match/0"),
      c(
        "OR'd matches: the first alone",
        { path: "/path3", method: "PATCH" },
        "method/rule/5/match/0",
      ),
      c("OR'd matches: the second alone", {
        path: "/path4",
        method: "DELETE",
        headers: { version: "three" },
      }, "method/rule/5/match/1"),
      c("AND'd conditions: method without header does not match", { method: "PUT" }, null),
      c("AND'd conditions: path and method without header do not match", {
        path: "/path4",
        method: "DELETE",
      }, null),
      c(
        "a longer path prefix beats a method match",
        { path: "/path5", method: "PATCH" },
        "method/rule/6/match/0",
      ),
      c("a method match beats a header match", {
        method: "PATCH",
        headers: { version: "four" },
      }, "method/rule/7/match/0"),
    ],
  },
];
