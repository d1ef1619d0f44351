/**
 * ListenerSet through the real gateway process (files source): a set's
 * listeners serve on the parent Gateway's port and on a port only the set
 * brings; routes reach them only through a ListenerSet parentRef, and the
 * Gateway's own listener only through a Gateway parentRef; a set listener
 * that takes the Gateway's hostname is HostnameConflict while the Gateway's
 * keeps serving; when the Gateway stops admitting sets, their listeners go
 * (the set's own port closes) and the set says NotAllowed.
 */
import { assertEquals } from "@std/assert";
import {
  checkTable,
  conditionSummary,
  eventually,
  GATEWAY_CLASS_YAML,
  INFRA,
  send,
  serviceYaml,
  startFixture,
  statusOf,
} from "./_conformance.ts";

const [V1, V2] = ["infra-backend-v1", "infra-backend-v2"];

function gatewayYaml(port: number, admitting: boolean): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: ${INFRA} }
spec:
  gatewayClassName: conformance
${admitting ? "  allowedListeners: { namespaces: { from: Same } }\n" : ""}  listeners:
    - { name: main, port: ${port}, protocol: HTTP, hostname: gw.example.com }
`;
}

function listenerSetYaml(shared: number, own: number): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: { name: team, namespace: ${INFRA} }
spec:
  parentRef: { name: gw }
  listeners:
    - { name: one, port: ${shared}, protocol: HTTP, hostname: one.example.com }
    - { name: taken, port: ${shared}, protocol: HTTP, hostname: gw.example.com }
    - { name: own-port, port: ${own}, protocol: HTTP }
`;
}

const ROUTES = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: via-gateway, namespace: ${INFRA} }
spec:
  parentRefs: [{ name: gw }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /gw } }]
      backendRefs: [{ name: ${V1}, port: 8080 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: via-set, namespace: ${INFRA} }
spec:
  parentRefs: [{ kind: ListenerSet, group: gateway.networking.k8s.io, name: team }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /ls } }]
      backendRefs: [{ name: ${V2}, port: 8080 }]
`;

Deno.test("a ListenerSet's listeners serve on the Gateway's port and their own, for routes that name the set", async () => {
  await using f = await startFixture({
    gatewayPorts: 2,
    backends: [V1, V2].map((b) => `${INFRA}/${b}`),
    manifests: ([shared, own], backendPort) => ({
      "class.yaml": GATEWAY_CLASS_YAML,
      "gateway.yaml": gatewayYaml(shared, true),
      "listenerset.yaml": listenerSetYaml(shared, own),
      "services.yaml": [V1, V2].map((b) => serviceYaml(INFRA, b, backendPort(`${INFRA}/${b}`)))
        .join("---\n"),
      "routes.yaml": ROUTES,
    }),
  });
  const [shared, own] = f.ports;
  await checkTable(shared, [
    {
      rule: "a Gateway parentRef serves the Gateway's listener",
      host: "gw.example.com",
      path: "/gw",
      backend: V1,
    },
    { rule: "and not the set's", host: "one.example.com", path: "/gw", status: 404 },
    {
      rule: "a ListenerSet parentRef serves the set's listener",
      host: "one.example.com",
      path: "/ls",
      backend: V2,
    },
    { rule: "and not the Gateway's", host: "gw.example.com", path: "/ls", status: 404 },
  ]);
  await checkTable(own, [
    {
      rule: "a port only the set brings is bound",
      host: "any.example.com",
      path: "/ls",
      backend: V2,
    },
    {
      rule: "the Gateway's routes are not on it",
      host: "gw.example.com",
      path: "/gw",
      status: 404,
    },
  ]);

  const config = await f.config();
  const set = statusOf(config, "ListenerSet", INFRA, "team");
  assertEquals(conditionSummary(set.conditions), [
    "Accepted=True/ListenersNotValid",
    "Programmed=True/Programmed",
  ]);
  assertEquals(
    set.listeners?.map((l) => [l.name, l.attachedRoutes, conditionSummary(l.conditions)[0]]),
    [
      ["one", 1, "Accepted=True/Accepted"],
      ["taken", 1, "Accepted=False/HostnameConflict"],
      ["own-port", 1, "Accepted=True/Accepted"],
    ],
  );
  const gateway = statusOf(config, "Gateway", INFRA, "gw") as { attachedListenerSets?: number };
  assertEquals(gateway.attachedListenerSets, 1);

  await f.write("gateway.yaml", gatewayYaml(shared, false));
  const why = await eventually(async () => {
    const sent = await send(shared, { rule: "", host: "one.example.com", path: "/ls" });
    const refused = sent.response.status === 404;
    const closed = await Deno.connect({ hostname: "127.0.0.1", port: own }).then(
      (c) => (c.close(), false),
      () => true,
    );
    const status = statusOf(await f.config(), "ListenerSet", INFRA, "team");
    const summary = conditionSummary(status.conditions).join(", ");
    return refused && closed && summary === "Accepted=False/NotAllowed, Programmed=False/NotAllowed"
      ? undefined
      : `refused ${refused}, own port closed ${closed}, conditions ${summary}`;
  });
  assertEquals(why, undefined);
  await checkTable(shared, [
    { rule: "the Gateway's listener serves on", host: "gw.example.com", path: "/gw", backend: V1 },
  ]);
});
