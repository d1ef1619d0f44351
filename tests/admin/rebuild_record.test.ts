import { assertEquals } from "@std/assert";
import { rebuildRecordOf } from "../../src/admin/rebuild_record.ts";
import { BACKEND, HTTP_LISTENER, HTTPS_LISTENER, sampleResult } from "./_gateway_state.ts";

Deno.test("a successful attempt counts rules, distinct endpoints, listeners and all problems", () => {
  const result = sampleResult({ certPem: "", keyPem: "" });
  const record = rebuildRecordOf({ ok: true, translateSeconds: 0.004, result, sourceProblems: 2 });
  assertEquals(record.ok, true);
  assertEquals(record.translateSeconds, 0.004);
  assertEquals(record.routes, 2);
  // Both rules send to the same two endpoints.
  assertEquals(record.endpoints, 2);
  assertEquals(record.listeners, 2);
  assertEquals(record.problems, 3);
  assertEquals([...record.ruleIds!], [
    "httproute/default/web/rule/0",
    "httproute/default/web/rule/1",
  ]);
  assertEquals([...record.backendIds!], [BACKEND]);
  assertEquals([...record.listenerIds!], [HTTP_LISTENER, HTTPS_LISTENER]);
});

Deno.test("merged listeners count once per Gateway listener", () => {
  const result = sampleResult({ certPem: "", keyPem: "" });
  const port = result.config.ports[0];
  port.listeners[0] = {
    ...port.listeners[0],
    ids: [...port.listeners[0].ids, "gateway/b/gw/listener/http"],
  };
  assertEquals(rebuildRecordOf({ ok: true, result, sourceProblems: 0 }).listeners, 3);
});

Deno.test("a failed attempt carries only the source problems and no ids", () => {
  const record = rebuildRecordOf({ ok: false, sourceProblems: 4 });
  assertEquals(record, {
    ok: false,
    translateSeconds: undefined,
    routes: 0,
    endpoints: 0,
    listeners: 0,
    problems: 4,
  });
});
