/**
 * What a table update carries, and how a worker's replica takes it: one
 * changed route among thousands crosses alone; an update for another
 * version changes nothing; a broken one leaves no version behind; a config
 * handed out before never changes.
 */
import { assert, assertEquals, assertThrows } from "@std/assert";
import { TableReplica } from "../../src/dataplane/table_replica.ts";
import { TableUpdateWriter } from "../../src/dataplane/table_update.ts";
import type { CertificateConfig, RuleConfig, VirtualHostConfig } from "../../src/model/config.ts";
import {
  oneListenerConfig,
  prefixHost,
  routeRule,
  testBackend,
} from "../../scripts/config_fixtures.ts";

const rule = (i: number, backend = "svc"): RuleConfig =>
  routeRule(`r-${i}`, testBackend(backend, [8080]));
const host = (i: number, r: RuleConfig) => prefixHost(`r-${i}.test`, r);
/** A config of one port and listener; `hosts` and `rules` are used as given (objects kept). */
const config = (hosts: VirtualHostConfig[], rules: RuleConfig[]) =>
  oneListenerConfig(80, hosts, rules);

function world(n: number) {
  const rules = Array.from({ length: n }, (_, i) => rule(i));
  const hosts = rules.map((r, i) => host(i, r));
  return { rules, hosts };
}

const CERT: CertificateConfig = {
  id: "secret/default/tls",
  certPem: "CERT",
  keyPem: "KEY",
  dnsNames: ["a.test"],
  notAfter: "2030-01-01T00:00:00Z",
};

Deno.test("one route changed among 5,000 crosses as one host and one rule", () => {
  const { rules, hosts } = world(5000);
  const writer = new TableUpdateWriter();
  const replica = new TableReplica();
  const first = writer.next(config(hosts, rules), []);
  assertEquals([first.base, first.hosts.length, first.rules.length], [undefined, 5000, 5000]);
  replica.apply(structuredClone(first));

  rules[42] = rule(42, "other");
  hosts[42] = host(42, rules[42]);
  const next = config(hosts, rules);
  const delta = writer.next(next, []);
  assertEquals(delta.base, 1);
  assertEquals(delta.hosts.map(([, h]) => h.hostname), ["r-42.test"]);
  assertEquals(delta.rules.map(([key]) => key), [rules[42].id]);
  // The host's old object is dropped; its rule's key stays (with the new rule).
  assertEquals([delta.droppedHosts.length, delta.droppedRules, delta.certificates], [
    1,
    [],
    undefined,
  ]);
  assertEquals(replica.apply(structuredClone(delta))?.config, next);
  assertEquals(replica.version, 2);
});

Deno.test("a removed route's host and rule are dropped; the same config again is an empty delta", () => {
  const { rules, hosts } = world(3);
  const writer = new TableUpdateWriter();
  const replica = new TableReplica();
  replica.apply(structuredClone(writer.next(config(hosts, rules), [])));
  const smaller = config(hosts.slice(1), rules.slice(1));
  const delta = writer.next(smaller, []);
  assertEquals([delta.hosts, delta.rules, delta.droppedRules], [[], [], [rules[0].id]]);
  assertEquals(delta.droppedHosts.length, 1);
  assertEquals(replica.apply(structuredClone(delta))?.config, smaller);
  const same = writer.next(smaller, []);
  assertEquals([same.hosts, same.rules, same.droppedHosts, same.droppedRules], [[], [], [], []]);
  assertEquals(replica.apply(structuredClone(same))?.config, smaller);
});

Deno.test("certificates cross only when one of them changes", () => {
  const { rules, hosts } = world(1);
  const writer = new TableUpdateWriter();
  const replica = new TableReplica();
  const first = writer.next(config(hosts, rules), [CERT]);
  assertEquals(first.certificates, [CERT]);
  replica.apply(structuredClone(first));
  // A new object with the same content is no change.
  const same = writer.next(config(hosts, rules), [{ ...CERT }]);
  assertEquals(same.certificates, undefined);
  assertEquals(replica.apply(structuredClone(same))?.certificates, [CERT]);
  const renewed = { ...CERT, certPem: "RENEWED" };
  const delta = writer.next(config(hosts, rules), [renewed]);
  assertEquals(delta.certificates, [renewed]);
  assertEquals(replica.apply(structuredClone(delta))?.certificates, [renewed]);
  assertEquals(replica.version, 3);
});

Deno.test("an update for a version the replica does not hold is refused and changes nothing", () => {
  const { rules, hosts } = world(2);
  const writer = new TableUpdateWriter();
  const replica = new TableReplica();
  const first = config(hosts, rules);
  assertEquals(replica.apply(structuredClone(writer.next(first, [])))?.config, first);
  writer.next(config(hosts.slice(1), rules.slice(1)), []);
  const skipped = writer.next(config(hosts, rules), []);
  assertEquals(skipped.base, 2);
  assertEquals(replica.apply(structuredClone(skipped)), undefined);
  assertEquals(replica.version, 1);
  assertEquals(replica.apply(structuredClone(writer.full()))?.config, first);
  assertEquals(replica.version, 3);
});

Deno.test("an update naming a host it neither carries nor the replica holds leaves no version", () => {
  const { rules, hosts } = world(2);
  const writer = new TableUpdateWriter();
  const replica = new TableReplica();
  replica.apply(structuredClone(writer.next(config(hosts, rules), [])));
  const broken = structuredClone(writer.next(config(hosts, rules), []));
  broken.ports[0].listeners[0].hostIds[0] = 999;
  assertThrows(() => replica.apply(broken), RangeError, "names host 999");
  assertEquals(replica.version, undefined);
  assertEquals(replica.apply(structuredClone(writer.full()))?.config, config(hosts, rules));
});

Deno.test("a config handed out before is not changed by the updates after it", () => {
  const { rules, hosts } = world(4);
  const writer = new TableUpdateWriter();
  const replica = new TableReplica();
  const served = replica.apply(structuredClone(writer.next(config(hosts, rules), [CERT])))!;
  // A deep copy, the rules as their JSON (structuredClone keeps no class).
  const copy = (c: typeof served) =>
    structuredClone({ ...c, config: { ...c.config, rules: c.config.rules.toJSON() } });
  const before = copy(served);
  rules[1] = rule(1, "moved");
  hosts[1] = host(1, rules[1]);
  const after = replica.apply(
    structuredClone(writer.next(config(hosts.slice(0, 3), rules.slice(0, 3)), [])),
  )!;
  assertEquals(copy(served), before);
  assert(after.config.rules !== served.config.rules);
  assertEquals(after.config.ports[0].listeners[0].virtualHosts.length, 3);
  assertEquals(after.certificates, []);
  // Hosts that did not change are the very objects served before: nothing to compile again.
  assert(
    after.config.ports[0].listeners[0].virtualHosts[0] ===
      served.config.ports[0].listeners[0].virtualHosts[0],
  );
});

Deno.test("a delta says when its ports and listeners are the base's but for their hosts", () => {
  const { rules, hosts } = world(3);
  const writer = new TableUpdateWriter();
  const first = config(hosts, rules);
  assertEquals(writer.next(first, []).samePorts, undefined, "a full snapshot");
  assertEquals(writer.next(config(hosts.slice(1), rules.slice(1)), []).samePorts, true);
  const named = config(hosts, rules);
  named.ports[0].listeners[0].hostname = "*.test";
  assertEquals(writer.next(named, []).samePorts, undefined);
  const twoPorts = config(hosts, rules);
  twoPorts.ports.push({ ...twoPorts.ports[0], port: 8080 });
  assertEquals(writer.next(twoPorts, []).samePorts, undefined);
  assertEquals(writer.next(twoPorts, [CERT]).samePorts, true, "certificates are said apart");
});
