/**
 * What the worker pool posts to its data-plane workers when the config
 * changes: only what changed since the version the worker holds, not the
 * whole config. Structured-cloning a config of 3,000 routes took 90–270 ms
 * here (and the worker then compiled every host again), per worker per
 * change; an update of one route clones one host and one rule.
 *
 * Virtual hosts get numeric ids by object identity, per listener:
 * `translate` hands back the very same (frozen) host object while nothing
 * about it changed, so an object the listener had before is a host the
 * worker already holds. Rules are keyed by
 * their id in `GatewayConfig.rules` and compared by identity too.
 * Certificates are sent only when one of them differs. The ports and
 * listeners (a handful of objects) come whole, each listener naming its
 * hosts by id. `table_replica.ts` is the worker's side.
 * @module
 */
import {
  type CertificateConfig,
  type GatewayConfig,
  type ListenerConfig,
  type PortConfig,
  type RuleConfig,
  socketKey,
  type VirtualHostConfig,
} from "../model/config.ts";
import type { RuleMap } from "../model/rule_map.ts";

/** A listener without its virtual hosts, which it names by id (in order). */
export type ListenerOutline = Omit<ListenerConfig, "virtualHosts"> & { hostIds: Float64Array };

/** A port with its listeners in outline. */
export type PortOutline = Omit<PortConfig, "listeners"> & { listeners: ListenerOutline[] };

/** One table update: a delta from version `base`, or everything (`base` absent). */
export interface TableUpdate {
  version: number;
  /** The version this update patches; absent: a full snapshot. */
  base?: number;
  ports: PortOutline[];
  /** Hosts the base does not hold, by id. */
  hosts: [number, VirtualHostConfig][];
  /** Hosts of the base no listener names any more. */
  droppedHosts: number[];
  /** Rules new or changed since the base, by their key in `GatewayConfig.rules`. */
  rules: [string, RuleConfig][];
  droppedRules: string[];
  /** Every certificate, when any differs from the base's; absent: the base's. */
  certificates?: CertificateConfig[];
  /**
   * A delta whose ports and listeners are the base's but for their hosts
   * (`ports` says the same sockets, protocols, hostnames, TLS settings and
   * TLS routes): the worker's listeners have nothing to update unless
   * `certificates` came too.
   */
  samePorts?: true;
}

/**
 * A table update as it crosses to a worker: the hosts and rules as one JSON
 * string, encoded once for every worker. `postMessage` copies a string
 * whole, where it walks every object of a structured clone again for each
 * worker: for a full snapshot of 5,000 routes the main isolate spent
 * 112–330 ms serialising for two workers, against 38–97 ms to pack once and
 * post (V8 profiles at load average ~10).
 * The config is JSON by contract (`/config` prints it).
 */
export type PackedTableUpdate = Omit<TableUpdate, "hosts" | "rules"> & { entries: string };

/**
 * `update` ready to post (see {@linkcode PackedTableUpdate}).
 *
 * @example
 * ```ts
 * import { packTableUpdate, TableUpdateWriter, unpackTableUpdate } from "./table_update.ts";
 * import { ruleMapOf } from "../model/rule_map.ts";
 * const update = new TableUpdateWriter().next({ ports: [], rules: ruleMapOf() }, []);
 * unpackTableUpdate(structuredClone(packTableUpdate(update))).version; // 1
 * ```
 */
export function packTableUpdate(update: TableUpdate): PackedTableUpdate {
  const { hosts, rules, ...rest } = update;
  return { ...rest, entries: JSON.stringify({ hosts, rules }) };
}

/** The update {@linkcode packTableUpdate} packed. */
export function unpackTableUpdate(packed: PackedTableUpdate): TableUpdate {
  const { entries, ...rest } = packed;
  const { hosts, rules } = JSON.parse(entries) as Pick<TableUpdate, "hosts" | "rules">;
  return { ...rest, hosts, rules };
}

/** A listener's hosts as last sent, and their ids. */
interface SentHosts {
  hosts: readonly VirtualHostConfig[];
  ids: Float64Array;
}

interface Latest {
  version: number;
  config: GatewayConfig;
  certificates: readonly CertificateConfig[];
  ports: PortOutline[];
  /** The ports as listeners see them: everything but the hosts (see `samePorts`). */
  portsSignature: string;
  /** By {@linkcode listenerKeys}. */
  listeners: Map<string, SentHosts>;
  full?: TableUpdate;
}

/**
 * The pool's side: numbers the configs it is given and says what changed.
 * A listener's hosts are compared with the ones it had, by position first:
 * `translate` keeps them sorted, so a change of a few hosts leaves a common
 * head and tail, and only the hosts between are looked at.
 *
 * @example
 * ```ts
 * import { TableUpdateWriter } from "./table_update.ts";
 * import { ruleMapOf } from "../model/rule_map.ts";
 * const writer = new TableUpdateWriter();
 * const first = writer.next({ ports: [], rules: ruleMapOf() }, []);
 * first.base; // undefined: the first update is a full snapshot
 * writer.next({ ports: [], rules: ruleMapOf() }, []).base; // 1
 * ```
 */
export class TableUpdateWriter {
  #nextHostId = 1;
  #latest: Latest | undefined;

  /** The version of the latest config given to `next`; 0 before any. */
  get version(): number {
    return this.#latest?.version ?? 0;
  }

  /** Takes `config` as the latest; the update from the one before (full if none). */
  next(config: GatewayConfig, certificates: readonly CertificateConfig[]): TableUpdate {
    const before = this.#latest;
    const listeners = new Map<string, SentHosts>();
    const added: [number, VirtualHostConfig][] = [];
    const dropped: [number, VirtualHostConfig][] = [];
    const ports = config.ports.map((port): PortOutline => {
      const keys = listenerKeys(port);
      const outlines = port.listeners.map(({ virtualHosts, ...head }, i): ListenerOutline => {
        // A plain copy: reading a frozen array's elements is many times slower
        // in V8 (see `listChanges`), and a caller that changes its array in
        // place must not change what was sent.
        const list = Array.from(virtualHosts);
        const ids = this.#ids(before?.listeners.get(keys[i]), list, added, dropped);
        listeners.set(keys[i], { hosts: list, ids });
        return { ...head, hostIds: ids };
      });
      return { ...port, listeners: outlines };
    });
    const latest: Latest = {
      version: (before?.version ?? 0) + 1,
      config,
      certificates,
      ports,
      portsSignature: JSON.stringify(ports, (key, value) => key === "hostIds" ? undefined : value),
      listeners,
    };
    this.#latest = latest;
    if (before === undefined) return this.full();
    for (const [key, sent] of before.listeners) {
      if (!listeners.has(key)) sent.hosts.forEach((host, i) => dropped.push([sent.ids[i], host]));
    }
    const rules = diffRules(before.config.rules, config.rules, added, dropped);
    return {
      version: latest.version,
      base: before.version,
      ports,
      hosts: added,
      droppedHosts: dropped.map(([id]) => id),
      rules: rules.changed,
      droppedRules: rules.dropped,
      ...(sameCertificates(before.certificates, certificates) ? {} : {
        certificates: [...certificates],
      }),
      ...(before.portsSignature === latest.portsSignature ? { samePorts: true as const } : {}),
    };
  }

  /** The latest config whole, for a worker that holds no version or another one. */
  full(): TableUpdate {
    const latest = this.#latest;
    if (latest === undefined) {
      throw new RangeError("Cannot make a full table update: no config yet");
    }
    if (latest.full !== undefined) return latest.full;
    const hosts: [number, VirtualHostConfig][] = [];
    for (const sent of latest.listeners.values()) {
      sent.hosts.forEach((host, i) => hosts.push([sent.ids[i], host]));
    }
    return latest.full = {
      version: latest.version,
      ports: latest.ports,
      hosts,
      droppedHosts: [],
      rules: [...latest.config.rules],
      droppedRules: [],
      certificates: [...latest.certificates],
    };
  }

  /**
   * Ids for a listener's `hosts`: those of the same objects in `sent`, new
   * ones (in `added`) for the others; the hosts of `sent` left over go to
   * `dropped`.
   */
  #ids(
    sent: SentHosts | undefined,
    hosts: readonly VirtualHostConfig[],
    added: [number, VirtualHostConfig][],
    dropped: [number, VirtualHostConfig][],
  ): Float64Array {
    const before = sent?.hosts ?? [];
    const n = hosts.length;
    const m = before.length;
    let head = 0;
    while (head < n && head < m && hosts[head] === before[head]) head++;
    let tail = 0;
    while (tail < n - head && tail < m - head && hosts[n - 1 - tail] === before[m - 1 - tail]) {
      tail++;
    }
    const ids = new Float64Array(n);
    if (sent !== undefined) {
      ids.set(sent.ids.subarray(0, head), 0);
      ids.set(sent.ids.subarray(m - tail), n - tail);
    }
    const between = new Map<VirtualHostConfig, number>();
    for (let i = head; i < m - tail; i++) {
      if (between.has(before[i])) dropped.push([sent!.ids[i], before[i]]);
      else between.set(before[i], sent!.ids[i]);
    }
    for (let i = head; i < n - tail; i++) {
      let id = between.get(hosts[i]);
      if (id === undefined) added.push([id = this.#nextHostId++, hosts[i]]);
      else between.delete(hosts[i]);
      ids[i] = id;
    }
    for (const [host, id] of between) dropped.push([id, host]);
    return ids;
  }
}

/**
 * A key for each listener of `port` that stays while the listener does:
 * its socket and id (a repeated id gets its position among the repeats).
 *
 * @example
 * ```ts
 * import { listenerKeys } from "./table_update.ts";
 * listenerKeys({ port: 80, listeners: [{ id: "a" }, { id: "a" }] }); // ["|80|a", "|80|a#1"]
 * ```
 */
export function listenerKeys(
  port: { address?: string; port: number; listeners: readonly { id: string }[] },
): string[] {
  const seen = new Map<string, number>();
  return port.listeners.map(({ id }) => {
    const n = seen.get(id) ?? 0;
    seen.set(id, n + 1);
    return `${socketKey(port)}|${id}${n === 0 ? "" : `#${n}`}`;
  });
}

/**
 * The rules of `after` that are not the very objects of `before`, and the
 * keys gone, found through the hosts that came and went: `translate` makes
 * a new host object whenever a rule it names changes (the caching route
 * compiler relies on that too), and `rules` holds only rules some match
 * names. A change of one route costs its hosts, not every rule.
 */
function diffRules(
  before: RuleMap,
  after: RuleMap,
  added: readonly [number, VirtualHostConfig][],
  dropped: readonly [number, VirtualHostConfig][],
): { changed: [string, RuleConfig][]; dropped: string[] } {
  const changed = new Map<string, RuleConfig>();
  const gone = new Set<string>();
  if (before === after) return { changed: [], dropped: [] };
  for (const [, host] of added) {
    for (const { rule: key } of host.matches) {
      const rule = after.get(key);
      if (rule !== undefined && before.get(key) !== rule) changed.set(key, rule);
    }
  }
  for (const [, host] of dropped) {
    for (const { rule: key } of host.matches) {
      if (before.has(key) && !after.has(key)) gone.add(key);
    }
  }
  return { changed: [...changed], dropped: [...gone] };
}

/** Same certificates in the same order: the same objects, or the same id and PEMs. */
function sameCertificates(
  before: readonly CertificateConfig[],
  after: readonly CertificateConfig[],
): boolean {
  if (before === after) return true;
  if (before.length !== after.length) return false;
  return before.every((b, i) => {
    const a = after[i];
    return a === b || (a.id === b.id && a.certPem === b.certPem && a.keyPem === b.keyPem &&
      a.notAfter === b.notAfter && a.dnsNames.join("\n") === b.dnsNames.join("\n"));
  });
}
