import { assertEquals } from "@std/assert";
import { mergeStatus, statusPatch } from "../../src/status/status_merge.ts";
import type { ObjectStatus } from "../../src/model/config.ts";

const OURS = "gateway.serval.dev/controller";
const THEIRS = "example.com/other";
const NOW = "2026-11-30T00:00:00Z";

const ref = (name: string) => ({
  group: "gateway.networking.k8s.io",
  kind: "Gateway",
  namespace: "app",
  name,
});

Deno.test("a BackendTLSPolicy's ancestors of other controllers are kept; ours are replaced", () => {
  const want: ObjectStatus = {
    kind: "BackendTLSPolicy",
    namespace: "app",
    name: "p",
    generation: 2,
    status: {
      ancestors: [{
        ancestorRef: ref("gw"),
        controllerName: OURS,
        conditions: [{ type: "Accepted", status: "True", reason: "Accepted", message: "ok" }],
      }],
    },
  };
  const theirs = { ancestorRef: ref("theirs"), controllerName: THEIRS, conditions: [] };
  const current = {
    ancestors: [
      theirs,
      {
        ancestorRef: ref("gone"),
        controllerName: OURS,
        conditions: [{ type: "Accepted", status: "True", reason: "Accepted", message: "old" }],
      },
    ],
  };
  const next = mergeStatus(want, current, OURS, NOW);
  assertEquals(next.ancestors, [theirs, {
    ancestorRef: ref("gw"),
    controllerName: OURS,
    conditions: [{
      type: "Accepted",
      status: "True",
      reason: "Accepted",
      message: "ok",
      observedGeneration: 2,
      lastTransitionTime: NOW,
    }],
  }]);
  // A merge patch replaces lists whole: the patch carries the complete list.
  assertEquals(statusPatch("BackendTLSPolicy", next, current), { ancestors: next.ancestors });
});
