/**
 * A data-plane worker's copy of the config, patched by the pool's table
 * updates (`table_update.ts`). Each update gives a new `GatewayConfig`
 * whose unchanged virtual hosts and rules are the very objects of the one
 * before, so the worker's caching route compiler
 * (`createRouteTableCompiler`) compiles only the hosts that changed. The
 * config it returned earlier is never changed: a table compiled from it
 * keeps serving as it was until the worker swaps in the next one.
 * @module
 */
import type { CertificateConfig, GatewayConfig, VirtualHostConfig } from "../model/config.ts";
import { listenerKeys, type ListenerOutline, type TableUpdate } from "./table_update.ts";
import { RuleMapBuilder } from "../model/rule_map.ts";

/** A config and its certificates, as an update describes them. */
export interface ReplicatedConfig {
  config: GatewayConfig;
  certificates: CertificateConfig[];
}

/**
 * Applies table updates in order, from a full snapshot on.
 *
 * @example
 * ```ts
 * import { TableReplica } from "./table_replica.ts";
 * import { TableUpdateWriter } from "./table_update.ts";
 * import { ruleMapOf } from "../model/rule_map.ts";
 * const writer = new TableUpdateWriter();
 * const replica = new TableReplica();
 * replica.apply(writer.next({ ports: [], rules: ruleMapOf() }, []))?.config; // { ports: [], rules: (no rules) }
 * replica.version; // 1
 * ```
 */
export class TableReplica {
  #version: number | undefined;
  #hosts = new Map<number, VirtualHostConfig>();
  /** Each listener's hosts as last built, by `listenerKeys`. */
  #listeners = new Map<string, Built>();
  #rules = new RuleMapBuilder();
  #certificates: CertificateConfig[] = [];

  /** The version held; `undefined` before the first full snapshot or after a failed update. */
  get version(): number | undefined {
    return this.#version;
  }

  /**
   * The config `update` describes, or `undefined` when it patches a version
   * other than the one held (nothing changes then: the sender owes a full
   * snapshot). Throws on an update that names a host it does not carry or
   * hold; the replica then holds no version.
   */
  apply(update: TableUpdate): ReplicatedConfig | undefined {
    if (update.base !== undefined && update.base !== this.#version) return undefined;
    try {
      return this.#apply(update);
    } catch (error) {
      this.#version = undefined;
      this.#hosts = new Map();
      this.#listeners = new Map();
      this.#rules = new RuleMapBuilder();
      this.#certificates = [];
      throw error;
    }
  }

  #apply(update: TableUpdate): ReplicatedConfig {
    const full = update.base === undefined;
    if (full) {
      this.#hosts = new Map();
      this.#listeners = new Map();
      this.#rules = new RuleMapBuilder();
    }
    const hosts = this.#hosts;
    for (const id of update.droppedHosts) hosts.delete(id);
    for (const [id, host] of update.hosts) hosts.set(id, host);
    for (const key of update.droppedRules) this.#rules.delete(key);
    for (const [key, rule] of update.rules) this.#rules.set(key, rule);
    // A new version sharing the unchanged rules: the config handed out
    // before keeps its own.
    const rules = this.#rules.snapshot();
    const listeners = new Map<string, Built>();
    const ports = update.ports.map((port) => {
      const keys = listenerKeys(port);
      const expanded = port.listeners.map(({ hostIds, ...head }, i) => {
        const built = this.#expand(this.#listeners.get(keys[i]), hostIds, head, update.version);
        listeners.set(keys[i], built);
        return { ...head, virtualHosts: built.hosts };
      });
      return { ...port, listeners: expanded };
    });
    this.#listeners = listeners;
    if (update.certificates !== undefined) this.#certificates = update.certificates;
    this.#version = update.version;
    return { config: { ports, rules }, certificates: this.#certificates };
  }

  /**
   * A listener's hosts for `ids`: the ones it had where the ids have not
   * changed (a common head and tail), looked up for the ids between.
   */
  #expand(
    before: Built | undefined,
    ids: Float64Array,
    listener: Omit<ListenerOutline, "hostIds">,
    version: number,
  ): Built {
    const n = ids.length;
    const m = before?.ids.length ?? 0;
    let head = 0;
    let tail = 0;
    const hosts: VirtualHostConfig[] = new Array(n);
    if (before !== undefined) {
      while (head < n && head < m && ids[head] === before.ids[head]) {
        hosts[head] = before.hosts[head];
        head++;
      }
      while (tail < n - head && tail < m - head && ids[n - 1 - tail] === before.ids[m - 1 - tail]) {
        hosts[n - 1 - tail] = before.hosts[m - 1 - tail];
        tail++;
      }
    }
    for (let i = head; i < n - tail; i++) {
      const host = this.#hosts.get(ids[i]);
      if (host === undefined) {
        throw new RangeError(
          `Cannot apply table update ${version}: listener ${listener.id} names host ${
            ids[i]
          }, which it neither carries nor held`,
        );
      }
      hosts[i] = host;
    }
    return { ids, hosts };
  }
}

/** A listener's host ids and the hosts they name, in order. */
interface Built {
  ids: Float64Array;
  hosts: VirtualHostConfig[];
}
