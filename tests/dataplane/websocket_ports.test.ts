/**
 * Which ports `--upgrades auto` diverts, kept across tables: a WebSocket
 * route that comes, changes or goes flips its port's answer and no other
 * port's; tables built by incremental translate (hosts reused by identity)
 * give the answers a walk of the whole table gives.
 */
import { assert, assertEquals } from "@std/assert";
import { WebSocketPort } from "../../src/dataplane/websocket_ports.ts";
import type {
  GatewayConfig,
  PortConfig,
  RuleConfig,
  VirtualHostConfig,
} from "../../src/model/config.ts";
import type { Snapshot } from "../../src/model/snapshot.ts";
import { compileRouteTable } from "../../src/router/compile_route_table.ts";
import { translate } from "../../src/translate/translate.ts";
import { TranslateMemo } from "../../src/translate/translate_memo.ts";
import { DEFAULT_OPTIONS, loadSnapshot } from "../translate/load_snapshot.ts";
import { ruleMapOf } from "../../src/model/rule_map.ts";
import { httpPort } from "../../scripts/config_fixtures.ts";

function rule(name: string, websocket: boolean): RuleConfig {
  return {
    id: `httproute/default/${name}/rule/0`,
    filters: [],
    backends: [{
      id: `service/default/${name}:80`,
      weight: 1,
      protocol: "http",
      endpoints: [{ address: "127.0.0.1", port: 8080 }],
      filters: [],
      ...(websocket ? { websocket: true as const } : {}),
    }],
    invalidWeight: 0,
  };
}

function host(hostname: string, r: RuleConfig): VirtualHostConfig {
  return {
    hostname,
    matches: [{
      id: `${r.id}/match/0`,
      rule: r.id,
      route: hostname,
      path: { type: "PathPrefix", value: "/" },
      headers: [],
      queryParams: [],
    }],
  };
}

function port(number: number, hosts: VirtualHostConfig[], address?: string): PortConfig {
  return httpPort(number, hosts, `gateway/default/gw/listener/${number}`, address);
}

/** A config of the given ports whose rules are those its hosts name, from `rules`. */
function config(ports: PortConfig[], rules: RuleConfig[]): GatewayConfig {
  return { ports, rules: ruleMapOf(rules.map((r) => [r.id, r] as const)) };
}

/** The answer from scratch: the walk the per-port counts stand for. */
function walk(c: GatewayConfig, number: number, address?: string): boolean {
  return c.ports.some((p) =>
    p.port === number && p.address === address &&
    p.listeners.some((l) =>
      l.virtualHosts.some((h) =>
        h.matches.some((m) => c.rules.get(m.rule)?.backends.some((b) => b.websocket === true))
      )
    )
  );
}

Deno.test("a WebSocket route added, changed to plain HTTP, back, and removed flips its port's answer and no other's", () => {
  const plain = Array.from({ length: 50 }, (_, i) => rule(`plain-${i}`, false));
  const plainHosts = plain.map((r, i) => host(`p${i}.test`, r));
  const other = rule("other", true);
  const otherHost = host("other.test", other);
  const web = new WebSocketPort({ port: 80 });
  const pooled = new WebSocketPort({ address: "127.32.0.7", port: 80 });
  const eighty = new WebSocketPort({ port: 8080 });
  const answers = (c: GatewayConfig) => {
    const table = compileRouteTable(c);
    const got = [web.reaches(table), pooled.reaches(table), eighty.reaches(table)];
    assertEquals(got, [walk(c, 80), walk(c, 80, "127.32.0.7"), walk(c, 8080)]);
    return got;
  };
  const withHosts = (hosts: VirtualHostConfig[], rules: RuleConfig[]) =>
    config(
      [port(80, hosts), port(80, [otherHost], "127.32.0.7"), port(8080, plainHosts)],
      [...plain, other, ...rules],
    );

  assertEquals(answers(withHosts(plainHosts, [])), [false, true, false]);
  const ws = rule("ws", true);
  const wsHost = host("ws.test", ws);
  const added = [...plainHosts.slice(0, 25), wsHost, ...plainHosts.slice(25)];
  assertEquals(answers(withHosts(added, [ws])), [true, true, false], "added");
  const demoted = rule("ws", false);
  const changed = added.map((h) => h === wsHost ? host("ws.test", demoted) : h);
  assertEquals(answers(withHosts(changed, [demoted])), [false, true, false], "changed to plain");
  const promoted = rule("ws", true);
  const back = changed.map((h) => h.hostname === "ws.test" ? host("ws.test", promoted) : h);
  assertEquals(answers(withHosts(back, [promoted])), [true, true, false], "changed back");
  assertEquals(answers(withHosts(plainHosts, [])), [false, true, false], "removed");
});

Deno.test("two WebSocket hosts on one port: the port keeps diverting until both are gone, and a listener that goes takes its hosts", () => {
  const a = rule("a", true);
  const b = rule("b", true);
  const hostA = host("a.test", a);
  const hostB = host("b.test", b);
  const web = new WebSocketPort({ port: 80 });
  const reaches = (c: GatewayConfig) => web.reaches(compileRouteTable(c));
  assert(reaches(config([port(80, [hostA, hostB])], [a, b])));
  assert(reaches(config([port(80, [hostB])], [b])), "b is left");
  assert(!reaches(config([port(80, [])], [])), "none left");
  assert(reaches(config([port(80, [hostA])], [a])));
  assert(!reaches(config([], [])), "the port is gone");
  assert(reaches(config([port(80, [hostA])], [a])), "it comes back");
});

function snapshotWith(appProtocols: Record<string, string | undefined>): Snapshot {
  const docs = [
    `{apiVersion: gateway.networking.k8s.io/v1, kind: GatewayClass, metadata: {name: serval},
      spec: {controllerName: ${DEFAULT_OPTIONS.controllerName}}}`,
    `{apiVersion: gateway.networking.k8s.io/v1, kind: Gateway, metadata: {name: gw, namespace: infra},
      spec: {gatewayClassName: serval, listeners: [{name: http, port: 80, protocol: HTTP,
      allowedRoutes: {namespaces: {from: All}}}]}}`,
  ];
  for (const [name, appProtocol] of Object.entries(appProtocols)) {
    const protocol = appProtocol === undefined ? "" : `, appProtocol: ${appProtocol}`;
    docs.push(
      `{apiVersion: v1, kind: Service, metadata: {name: ${name}, namespace: app},
        spec: {ports: [{name: http, port: 80${protocol}}]}}`,
      `{apiVersion: discovery.k8s.io/v1, kind: EndpointSlice, addressType: IPv4,
        metadata: {name: ${name}-1, namespace: app, labels: {kubernetes.io/service-name: ${name}}},
        ports: [{name: http, port: 8080}], endpoints: [{addresses: [10.0.0.1]}]}`,
      `{apiVersion: gateway.networking.k8s.io/v1, kind: HTTPRoute, metadata: {name: ${name}, namespace: app},
        spec: {parentRefs: [{name: gw, namespace: infra}], hostnames: [${name}.example.com],
        rules: [{backendRefs: [{name: ${name}, port: 80}]}]}}`,
    );
  }
  return loadSnapshot(docs.join("\n---\n"), () => "").snapshot;
}

/** `next` with every object that did not change replaced by the one of `before`, as a watch cache keeps them. */
function keepUnchanged(before: Snapshot | undefined, next: Snapshot): Snapshot {
  if (before === undefined) return next;
  const kept: Record<string, unknown> = { ...next };
  for (const [kind, list] of Object.entries(next)) {
    const old = (before as unknown as Record<string, unknown[] | undefined>)[kind] ?? [];
    const byText = new Map(old.map((o) => [JSON.stringify(o), o]));
    kept[kind] = (list as unknown[]).map((o) => byText.get(JSON.stringify(o)) ?? o);
  }
  return kept as unknown as Snapshot;
}

Deno.test("through incremental translate: a Service that turns kubernetes.io/ws and back, a route to one that comes and goes, flip port 80", () => {
  const memo = new TranslateMemo();
  const web = new WebSocketPort({ port: 80 });
  const plain = { a: undefined, b: undefined, c: undefined };
  const steps: [Record<string, string | undefined>, boolean][] = [
    [plain, false],
    [{ ...plain, b: "kubernetes.io/ws" }, true],
    [{ ...plain, b: "kubernetes.io/h2c" }, false],
    [{ ...plain, b: "kubernetes.io/ws" }, true],
    [plain, false],
    [{ ...plain, d: "kubernetes.io/ws" }, true],
    [plain, false],
  ];
  let snapshot: Snapshot | undefined;
  let hosts: readonly VirtualHostConfig[] = [];
  let reused = 0;
  for (const [services, expected] of steps) {
    snapshot = keepUnchanged(snapshot, snapshotWith(services));
    const { config } = translate(snapshot, DEFAULT_OPTIONS, memo);
    const now = config.ports.flatMap((p) => p.listeners.flatMap((l) => l.virtualHosts));
    reused += now.filter((h) => hosts.includes(h)).length;
    hosts = now;
    assertEquals(walk(config, 80), expected, `walk of ${JSON.stringify(services)}`);
    assertEquals(web.reaches(compileRouteTable(config)), expected, JSON.stringify(services));
  }
  assert(reused >= 12, `only ${reused} hosts came again as the same objects`);
});
