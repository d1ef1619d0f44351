/**
 * Addressing a request without a socket: the host and path the router
 * matches, the target the backend gets, and the answers to requests that
 * cannot be addressed.
 */
import { assert, assertEquals } from "@std/assert";
import { addressRequest, type RequestAddress } from "../../src/dataplane/request_address.ts";
import { DEFAULT_REQUEST_POLICY, type RequestPolicy } from "../../src/dataplane/request_policy.ts";
import type { AccessFields } from "../../src/dataplane/access_log.ts";

function address(
  url: string,
  headers: Record<string, string>,
  policy: Partial<RequestPolicy> = {},
  log?: AccessFields,
): RequestAddress | Response {
  return addressRequest(
    new Request(url, { headers }),
    { policy: { ...DEFAULT_REQUEST_POLICY, ...policy }, scheme: "http", port: 8080 },
    log,
  );
}

Deno.test("the Host header names the host; the query is kept as sent for the backend", () => {
  const at = address("http://a.example:8080/x/./y?b=1&a=2", { host: "A.Example:8080" });
  assert(!(at instanceof Response));
  assertEquals(at.host, "a.example");
  assertEquals(at.authority, "A.Example:8080");
  assertEquals(at.query, "b=1&a=2");
  assertEquals(at.path, "/x/y");
  assertEquals(at.target, "/x/y?b=1&a=2");
});

Deno.test("a request without Host on HTTP/1 is answered 400", async () => {
  const res = address("http://localhost:8080/", {});
  assert(res instanceof Response);
  assertEquals(res.status, 400);
  assertEquals(await res.text(), "Bad request: the Host header is required\n");
});

Deno.test("header names with underscores are refused under the reject policy", () => {
  const res = address("http://a.example/", { host: "a.example", x_y: "1" }, {
    underscoreHeaders: "reject",
  });
  assert(res instanceof Response);
  assertEquals(res.status, 400);
});

Deno.test("an escaped slash is redirected to the normalised path, query kept", () => {
  const res = address("http://a.example/public/..%2Fadmin?q=1", { host: "a.example" }, {
    escapedSlashes: "redirect",
  });
  assert(res instanceof Response);
  assertEquals(res.status, 307);
  assertEquals(res.headers.get("location"), "/admin?q=1");
});

Deno.test("the access log gets the authority and the path without its query, even on a refusal", () => {
  const log: AccessFields = { listener: "none", route: "none", method: "GET", started: 0 };
  const res = address("http://a.example/secret?token=x", { host: "bad host" }, {}, log);
  assert(res instanceof Response);
  assertEquals(res.status, 400);
  assertEquals(log.authority, "bad host");
  assertEquals(log.path, "/secret");
});

Deno.test("a Host seen before routes the same, and an invalid one is refused each time", async () => {
  for (let i = 0; i < 2; i++) {
    const at = address("http://x/p", { host: "Memo.Example.:8080" });
    assert(!(at instanceof Response));
    assertEquals(at.host, "memo.example");
    // Twice in a row: the last host looked up is kept beside the memo.
    for (let j = 0; j < 2; j++) {
      const bad = address("http://x/p", { host: "user@memo.example" });
      assert(bad instanceof Response);
      assertEquals(bad.status, 400);
      await bad.body?.cancel();
    }
  }
  // Past the memo's size it starts over and still answers the same.
  for (let i = 0; i < 1100; i++) {
    const at = address("http://x/p", { host: `h${i}.example` });
    assert(!(at instanceof Response));
    assertEquals(at.host, `h${i}.example`);
  }
});

Deno.test("duplicate and mixed-case client headers are read combined, in sorted order", () => {
  const req = new Request("http://a.example/", {
    headers: [["X-B", "1"], ["host", "a.example"], ["x-b", "2"], ["accept", "*/*"]],
  });
  const at = addressRequest(req, {
    policy: DEFAULT_REQUEST_POLICY,
    scheme: "http",
    port: 80,
  });
  assert(!(at instanceof Response));
  assertEquals(at.client.host, "a.example");
  assertEquals(at.client.pairs, ["accept", "*/*", "x-b", "1, 2"]);
});

Deno.test("a request that hands over its origin-form target is addressed as splitting its URL would", () => {
  const cases: [string, string][] = [
    ["a.example:8080", "/x/./y?b=1"],
    ["A.Example", "/"],
    ["", "/p?q"],
    ["odd/host?x", "/p"],
    ["b.example", "/a%2Fb?c"],
  ];
  const policy = DEFAULT_REQUEST_POLICY;
  for (const [host, target] of cases) {
    const url = `http://${host}${target}`;
    const headers = new Headers({ host });
    const split = addressRequest({ method: "GET", url, headers, body: null }, {
      policy,
      scheme: "http",
      port: 8080,
    });
    const given = addressRequest({ method: "GET", url, target, headers, body: null }, {
      policy,
      scheme: "http",
      port: 8080,
    });
    if (split instanceof Response || given instanceof Response) {
      assert(split instanceof Response && given instanceof Response);
      assertEquals(given.status, split.status);
      continue;
    }
    assertEquals(
      { ...given, client: undefined },
      { ...split, client: undefined },
    );
  }
});
