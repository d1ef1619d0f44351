/**
 * Conformance tables for backendRefs, ReferenceGrants and parentRefs through
 * the real gateway process: simple and cross-namespace routing, weights,
 * invalid backendRefs (unknown kind, other namespace without a grant, missing
 * Service: 500), omitted backendRefs (500), ReferenceGrant given and revoked,
 * a partially invalid route, disallowed route kinds, parentRefs that select
 * no listener; each with the route and Gateway statuses the suite checks.
 */
import { assert, assertEquals } from "@std/assert";
import {
  checkTable,
  conditionSummary,
  eventually,
  GATEWAY_CLASS_YAML,
  INFRA,
  mismatch,
  send,
  serviceYaml,
  simpleGatewayYaml,
  startFixture,
  statusOf,
} from "./_conformance.ts";

const WEB = "gateway-conformance-web-backend";
const APP = "gateway-conformance-app-backend";
const V1 = "infra-backend-v1";
const V2 = "infra-backend-v2";
const V3 = "infra-backend-v3";

function namespace(name: string, labels = "{}"): string {
  return `apiVersion: v1
kind: Namespace
metadata: { name: ${name}, labels: ${labels} }
`;
}

function route(ns: string, name: string, parents: string, rules: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: ${ns} }
spec:
  parentRefs: ${parents}
  rules:
${rules.replace(/^/gm, "    ").trimEnd()}
`;
}

function grant(ns: string, name: string, from: string, to: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: ${name}, namespace: ${ns} }
spec:
  from: [${from}]
  to: [${to}]
`;
}

const FROM_INFRA_ROUTES =
  `{ group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: ${INFRA} }`;

Deno.test("conformance: backendRefs, ReferenceGrants, parentRefs and their statuses", async (t) => {
  await using f = await startFixture({
    gatewayPorts: 8,
    backends: [
      `${INFRA}/${V1}`,
      `${INFRA}/${V2}`,
      `${INFRA}/${V3}`,
      `${WEB}/web-backend`,
      `${APP}/app-backend-v1`,
      `${APP}/app-backend-v2`,
    ],
    manifests: (ports, backendPort) => {
      const [simple, cross, weights, invalid, grants, partial, omitted, tls] = ports;
      return {
        "class.yaml": GATEWAY_CLASS_YAML,
        "namespaces.yaml": [
          namespace(INFRA, "{ gateway-conformance: infra }"),
          namespace(WEB, "{ gateway-conformance: backend }"),
          namespace(APP, "{ gateway-conformance: backend }"),
        ].join("---\n"),
        "services.yaml": [
          ...[V1, V2, V3].map((s) => serviceYaml(INFRA, s, backendPort(`${INFRA}/${s}`))),
          serviceYaml(WEB, "web-backend", backendPort(`${WEB}/web-backend`)),
          serviceYaml(APP, "app-backend-v1", backendPort(`${APP}/app-backend-v1`)),
          serviceYaml(APP, "app-backend-v2", backendPort(`${APP}/app-backend-v2`)),
        ].join("---\n"),
        "gateways.yaml": [
          simpleGatewayYaml("same-namespace", simple),
          `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: backend-namespaces, namespace: ${INFRA} }
spec:
  gatewayClassName: conformance
  listeners:
    - name: http
      port: ${cross}
      protocol: HTTP
      allowedRoutes:
        namespaces:
          from: Selector
          selector: { matchLabels: { gateway-conformance: backend } }
`,
          simpleGatewayYaml("weights", weights),
          simpleGatewayYaml("invalid", invalid),
          simpleGatewayYaml("grants", grants),
          simpleGatewayYaml("partial", partial),
          simpleGatewayYaml("omitted", omitted),
          `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: tlsroutes-only, namespace: ${INFRA} }
spec:
  gatewayClassName: conformance
  listeners:
    - name: tls
      port: ${tls}
      protocol: TLS
      tls: { mode: Passthrough }
      allowedRoutes: { namespaces: { from: Same }, kinds: [{ kind: TLSRoute }] }
`,
        ].join("---\n"),
        "routes.yaml": [
          route(
            INFRA,
            "gateway-conformance-infra-test",
            "[{ name: same-namespace }]",
            `- backendRefs: [{ name: ${V1}, port: 8080 }]`,
          ),
          route(
            WEB,
            "cross-namespace",
            `[{ name: backend-namespaces, namespace: ${INFRA} }]`,
            "- backendRefs: [{ name: web-backend, port: 8080 }]",
          ),
          route(
            INFRA,
            "weighted-backends",
            "[{ name: weights }]",
            `- backendRefs:
    - { name: ${V1}, port: 8080, weight: 70 }
    - { name: ${V2}, port: 8080, weight: 30 }
    - { name: ${V3}, port: 8080, weight: 0 }`,
          ),
          route(
            INFRA,
            "invalid-backend-ref-unknown-kind",
            "[{ name: invalid }]",
            `- matches: [{ path: { type: PathPrefix, value: /kind } }]
  backendRefs: [{ group: unknownkind.example.com, kind: NonExistent, name: ${V1}, port: 8080 }]`,
          ),
          route(
            INFRA,
            "invalid-cross-namespace-backend-ref",
            "[{ name: invalid }]",
            `- matches: [{ path: { type: PathPrefix, value: /cross } }]
  backendRefs: [{ name: app-backend-v2, namespace: ${APP}, port: 8080 }]`,
          ),
          route(
            INFRA,
            "invalid-nonexistent-backend-ref",
            "[{ name: invalid }]",
            `- matches: [{ path: { type: PathPrefix, value: /missing } }]
  backendRefs: [{ name: nonexistent, namespace: ${INFRA}, port: 8080 }]`,
          ),
          route(
            INFRA,
            "invalid-port-backend-ref",
            "[{ name: invalid }]",
            `- matches: [{ path: { type: PathPrefix, value: /port } }]
  backendRefs: [{ name: ${V1}, port: 9999 }]`,
          ),
          route(
            INFRA,
            "reference-grant",
            "[{ name: grants }]",
            `- backendRefs: [{ name: web-backend, namespace: ${WEB}, port: 8080 }]`,
          ),
          route(
            INFRA,
            "invalid-reference-grant",
            "[{ name: partial }]",
            `- matches: [{ path: { type: PathPrefix, value: /v2 } }]
  backendRefs: [{ name: app-backend-v2, namespace: ${APP}, port: 8080 }]
- backendRefs: [{ name: app-backend-v1, namespace: ${APP}, port: 8080 }]`,
          ),
          route(
            INFRA,
            "omitted-backendrefs",
            "[{ name: omitted }]",
            `- matches: [{ path: { type: Exact, value: /omitted-no-forward } }]
- matches: [{ path: { type: Exact, value: /empty-no-forward } }]
  backendRefs: []
- matches: [{ path: { type: Exact, value: /zero-weight } }]
  backendRefs: [{ name: ${V1}, port: 8080, weight: 0 }]
- matches: [{ path: { type: PathPrefix, value: / } }]
  backendRefs: [{ name: ${V1}, port: 8080 }]`,
          ),
          route(
            INFRA,
            "disallowed-kind",
            `[{ name: tlsroutes-only, namespace: ${INFRA} }]`,
            `- backendRefs: [{ name: ${V1}, port: 8080 }]`,
          ),
          route(
            INFRA,
            "httproute-listener-not-matching-route-port",
            `[{ name: same-namespace, namespace: ${INFRA}, port: 81 }]`,
            `- backendRefs: [{ name: ${V1}, kind: Service, port: 8080 }]`,
          ),
          route(
            INFRA,
            "httproute-listener-not-matching-section-name",
            `[{ name: same-namespace, namespace: ${INFRA}, sectionName: http1 }]`,
            `- backendRefs: [{ name: ${V1}, kind: Service, port: 8080 }]`,
          ),
          route(
            INFRA,
            "httproute-listener-section-name-not-matching-port",
            `[{ name: same-namespace, namespace: ${INFRA}, sectionName: http, port: 81 }]`,
            `- backendRefs: [{ name: ${V1}, kind: Service, port: 8080 }]`,
          ),
          route(
            WEB,
            "invalid-cross-namespace-parent-ref",
            `[{ name: same-namespace, namespace: ${INFRA} }]`,
            "- backendRefs: [{ name: web-backend, port: 8080 }]",
          ),
        ].join("---\n"),
        "grants.yaml": [
          grant(
            WEB,
            "reference-grant",
            FROM_INFRA_ROUTES,
            '{ group: "", kind: Service, name: web-backend }',
          ),
          grant(
            APP,
            "invalid-reference-grant",
            FROM_INFRA_ROUTES,
            '{ group: "", kind: Service, name: app-backend-v1 }',
          ),
          // Grants that each get one field wrong (HTTPRouteInvalidReferenceGrant):
          // none of them may open app-backend-v2 to the infra namespace, which
          // invalid-cross-namespace-backend-ref and invalid-reference-grant use.
          grant(
            INFRA,
            "grant-wrong-namespace",
            FROM_INFRA_ROUTES,
            '{ group: "", kind: Service, name: app-backend-v2 }',
          ),
          grant(
            APP,
            "grant-wrong-from-group",
            `{ group: not-the-group, kind: HTTPRoute, namespace: ${INFRA} }`,
            '{ group: "", kind: Service, name: app-backend-v2 }',
          ),
          grant(
            APP,
            "grant-wrong-from-kind",
            `{ group: gateway.networking.k8s.io, kind: Gateway, namespace: ${INFRA} }`,
            '{ group: "", kind: Service, name: app-backend-v2 }',
          ),
          grant(
            APP,
            "grant-wrong-from-namespace",
            "{ group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: elsewhere }",
            '{ group: "", kind: Service, name: app-backend-v2 }',
          ),
          grant(
            APP,
            "grant-wrong-to-group",
            FROM_INFRA_ROUTES,
            "{ group: not-the-group, kind: Service, name: app-backend-v2 }",
          ),
          grant(
            APP,
            "grant-wrong-to-kind",
            FROM_INFRA_ROUTES,
            '{ group: "", kind: Secret, name: app-backend-v2 }',
          ),
          grant(
            APP,
            "grant-wrong-to-name",
            FROM_INFRA_ROUTES,
            '{ group: "", kind: Service, name: not-this-one }',
          ),
        ].join("---\n"),
      };
    },
  });
  const [simple, cross, weights, invalid, grants, partial, omitted] = f.ports;
  const config = await f.config();
  const parentsOf = (ns: string, name: string) =>
    (statusOf(config, "HTTPRoute", ns, name).parents ?? []).map((p) =>
      conditionSummary(p.conditions)
    );

  await t.step("HTTPRouteSimpleSameNamespace and HTTPRouteCrossNamespace", async () => {
    await checkTable(simple, [{
      rule: "route in the Gateway's namespace",
      path: "/",
      backend: V1,
    }]);
    await checkTable(cross, [{
      rule: "route from a namespace the Selector allows",
      path: "/",
      backend: "web-backend",
    }]);
    assertEquals(parentsOf(INFRA, "gateway-conformance-infra-test"), [[
      "Accepted=True/Accepted",
      "ResolvedRefs=True/ResolvedRefs",
    ]]);
    assertEquals(parentsOf(WEB, "cross-namespace"), [[
      "Accepted=True/Accepted",
      "ResolvedRefs=True/ResolvedRefs",
    ]]);
  });

  await t.step("HTTPRouteWeight: 70/30/0 within tolerance, weight 0 never", async () => {
    const counts: Record<string, number> = {};
    const total = 500;
    for (let batch = 0; batch < total / 25; batch++) {
      const sent = await Promise.all(
        Array.from({ length: 25 }, () => send(weights, { rule: "weight", path: "/" })),
      );
      for (const s of sent) {
        const key = s.echo?.name ?? `status ${s.response.status}`;
        counts[key] = (counts[key] ?? 0) + 1;
      }
    }
    assertEquals(counts[V3], undefined, `weight 0 got traffic: ${JSON.stringify(counts)}`);
    assertEquals((counts[V1] ?? 0) + (counts[V2] ?? 0), total, JSON.stringify(counts));
    // The suite allows 5 percentage points of error per backend.
    const share = (counts[V1] ?? 0) / total;
    assert(Math.abs(share - 0.7) <= 0.05, `v1 got ${share} of requests, want 0.70 ± 0.05`);
  });

  await t.step(
    "invalid backendRefs: 500 and ResolvedRefs=False with the spec's reason",
    async () => {
      await checkTable(invalid, [
        { rule: "backendRef of an unknown kind gets 500", path: "/kind", status: 500 },
        {
          rule: "backendRef to another namespace without a grant gets 500",
          path: "/cross",
          status: 500,
        },
        { rule: "backendRef to a missing Service gets 500", path: "/missing", status: 500 },
        { rule: "backendRef to a missing Service port gets 500", path: "/port", status: 500 },
      ]);
      const want = (reason: string) => [["Accepted=True/Accepted", `ResolvedRefs=False/${reason}`]];
      assertEquals(parentsOf(INFRA, "invalid-backend-ref-unknown-kind"), want("InvalidKind"));
      assertEquals(
        parentsOf(INFRA, "invalid-cross-namespace-backend-ref"),
        want("RefNotPermitted"),
      );
      assertEquals(parentsOf(INFRA, "invalid-nonexistent-backend-ref"), want("BackendNotFound"));
      assertEquals(parentsOf(INFRA, "invalid-port-backend-ref"), want("BackendNotFound"));
    },
  );

  await t.step(
    "HTTPRouteOmittedBackendRefs: no backendRefs, empty, all weights 0 get 500",
    async () => {
      await checkTable(omitted, [
        {
          rule: "a rule with backendRefs omitted gets 500",
          path: "/omitted-no-forward",
          status: 500,
        },
        { rule: "a rule with empty backendRefs gets 500", path: "/empty-no-forward", status: 500 },
        { rule: "a rule whose weights are all 0 gets 500", path: "/zero-weight", status: 500 },
        { rule: "the sibling rule still forwards", path: "/forward", backend: V1 },
      ]);
      assertEquals(parentsOf(INFRA, "omitted-backendrefs"), [[
        "Accepted=True/Accepted",
        "ResolvedRefs=True/ResolvedRefs",
      ]]);
    },
  );

  await t.step("HTTPRoutePartiallyInvalidViaInvalidReferenceGrant and wrong grants", async () => {
    await checkTable(partial, [
      {
        rule: "the ungranted backend gets 500, none of the wrong grants opens it",
        path: "/v2",
        status: 500,
      },
      { rule: "the granted sibling backend is served", path: "/", backend: "app-backend-v1" },
    ]);
    assertEquals(parentsOf(INFRA, "invalid-reference-grant"), [[
      "Accepted=True/Accepted",
      "ResolvedRefs=False/RefNotPermitted",
    ]]);
  });

  await t.step("HTTPRouteDisallowedKind and parentRefs that select no listener", () => {
    const notAccepted = (ns: string, name: string, reason: string) =>
      assertEquals(parentsOf(ns, name), [[
        `Accepted=False/${reason}`,
        "ResolvedRefs=True/ResolvedRefs",
      ]], name);
    notAccepted(INFRA, "disallowed-kind", "NotAllowedByListeners");
    notAccepted(INFRA, "httproute-listener-not-matching-route-port", "NoMatchingParent");
    notAccepted(INFRA, "httproute-listener-not-matching-section-name", "NoMatchingParent");
    notAccepted(INFRA, "httproute-listener-section-name-not-matching-port", "NoMatchingParent");
    notAccepted(WEB, "invalid-cross-namespace-parent-ref", "NotAllowedByListeners");
    const listeners = (name: string) =>
      statusOf(config, "Gateway", INFRA, name).listeners?.map((l) => [l.name, l.attachedRoutes]);
    assertEquals(listeners("tlsroutes-only"), [["tls", 0]]);
    // Only gateway-conformance-infra-test attaches; the rejected routes are not counted.
    assertEquals(listeners("same-namespace"), [["http", 1]]);
  });

  await t.step(
    "HTTPRouteReferenceGrant: served with the grant, 500 once it is deleted",
    async () => {
      const row = { rule: "granted cross-namespace backend", path: "/", backend: "web-backend" };
      await checkTable(grants, [row]);
      assertEquals(parentsOf(INFRA, "reference-grant"), [[
        "Accepted=True/Accepted",
        "ResolvedRefs=True/ResolvedRefs",
      ]]);
      const text = await Deno.readTextFile(`${f.dir}/grants.yaml`);
      await f.write("grants.yaml", text.split("---\n").slice(1).join("---\n"));
      const revoked = { rule: "deleting the grant revokes access", path: "/", status: 500 };
      const why = await eventually(async () => mismatch(revoked, await send(grants, revoked)));
      assertEquals(why, undefined);
      const after = await f.config();
      assertEquals(
        (statusOf(after, "HTTPRoute", INFRA, "reference-grant").parents ?? []).map((p) =>
          conditionSummary(p.conditions)
        ),
        [["Accepted=True/Accepted", "ResolvedRefs=False/RefNotPermitted"]],
      );
    },
  );
});
