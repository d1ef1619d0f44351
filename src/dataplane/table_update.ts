/**
 * What the worker pool posts to its data-plane workers when the config
 * changes: only what changed since the version the worker holds, not the
 * whole config. Structured-cloning a config of 3,000 routes took 90–270 ms
 * here (and the worker then compiled every host again), per worker per
 * change; an update of one route clones one host and one rule.
 *
 * Virtual hosts get numeric ids by object identity: `translate` hands back
 * the very same (frozen) host object while nothing about it changed, so an
 * object seen before is a host the worker already holds. Rules are keyed by
 * their id in `GatewayConfig.rules` and compared by identity too.
 * Certificates are sent only when one of them differs. The ports and
 * listeners (a handful of objects) come whole, each listener naming its
 * hosts by id. `table_replica.ts` is the worker's side.
 * @module
 */
import type {
  CertificateConfig,
  GatewayConfig,
  ListenerConfig,
  PortConfig,
  RuleConfig,
  VirtualHostConfig,
} from "../model/config.ts";

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
}

interface Latest {
  version: number;
  config: GatewayConfig;
  certificates: readonly CertificateConfig[];
  ports: PortOutline[];
  /** Every host the listeners name, by id. */
  hosts: Map<number, VirtualHostConfig>;
  full?: TableUpdate;
}

/**
 * The pool's side: numbers the configs it is given and says what changed.
 *
 * @example
 * ```ts
 * import { TableUpdateWriter } from "./table_update.ts";
 * const writer = new TableUpdateWriter();
 * const first = writer.next({ ports: [], rules: {} }, []);
 * first.base; // undefined: the first update is a full snapshot
 * writer.next({ ports: [], rules: {} }, []).base; // 1
 * ```
 */
export class TableUpdateWriter {
  readonly #hostIds = new WeakMap<VirtualHostConfig, number>();
  #nextHostId = 1;
  #latest: Latest | undefined;

  /** The version of the latest config given to `next`; 0 before any. */
  get version(): number {
    return this.#latest?.version ?? 0;
  }

  /** Takes `config` as the latest; the update from the one before (full if none). */
  next(config: GatewayConfig, certificates: readonly CertificateConfig[]): TableUpdate {
    const before = this.#latest;
    const hosts = new Map<number, VirtualHostConfig>();
    const ports = config.ports.map((port) => this.#outline(port, hosts));
    const latest: Latest = {
      version: (before?.version ?? 0) + 1,
      config,
      certificates,
      ports,
      hosts,
    };
    this.#latest = latest;
    if (before === undefined) return this.full();
    const added: [number, VirtualHostConfig][] = [];
    for (const entry of hosts) if (!before.hosts.has(entry[0])) added.push(entry);
    const droppedHosts: number[] = [];
    for (const id of before.hosts.keys()) if (!hosts.has(id)) droppedHosts.push(id);
    const { changed, dropped } = diffRules(before.config.rules, config.rules);
    return {
      version: latest.version,
      base: before.version,
      ports,
      hosts: added,
      droppedHosts,
      rules: changed,
      droppedRules: dropped,
      ...(sameCertificates(before.certificates, certificates) ? {} : {
        certificates: [
          ...certificates,
        ],
      }),
    };
  }

  /** The latest config whole, for a worker that holds no version or another one. */
  full(): TableUpdate {
    const latest = this.#latest;
    if (latest === undefined) {
      throw new RangeError("Cannot make a full table update: no config yet");
    }
    latest.full ??= {
      version: latest.version,
      ports: latest.ports,
      hosts: [...latest.hosts],
      droppedHosts: [],
      rules: Object.entries(latest.config.rules),
      droppedRules: [],
      certificates: [...latest.certificates],
    };
    return latest.full;
  }

  #outline(port: PortConfig, hosts: Map<number, VirtualHostConfig>): PortOutline {
    const listeners = port.listeners.map((listener): ListenerOutline => {
      const { virtualHosts, ...head } = listener;
      const hostIds = new Float64Array(virtualHosts.length);
      for (let i = 0; i < virtualHosts.length; i++) {
        const host = virtualHosts[i];
        let id = this.#hostIds.get(host);
        if (id === undefined) this.#hostIds.set(host, id = this.#nextHostId++);
        hostIds[i] = id;
        hosts.set(id, host);
      }
      return { ...head, hostIds };
    });
    return { ...port, listeners };
  }
}

/** Rules of `after` that are not the very objects of `before`, and the keys gone. */
function diffRules(
  before: Record<string, RuleConfig>,
  after: Record<string, RuleConfig>,
): { changed: [string, RuleConfig][]; dropped: string[] } {
  const changed: [string, RuleConfig][] = [];
  const dropped: string[] = [];
  if (before === after) return { changed, dropped };
  for (const key in after) {
    if (!Object.hasOwn(after, key)) continue;
    const rule = after[key];
    if (!Object.hasOwn(before, key) || before[key] !== rule) changed.push([key, rule]);
  }
  for (const key in before) {
    if (Object.hasOwn(before, key) && !Object.hasOwn(after, key)) dropped.push(key);
  }
  return { changed, dropped };
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
