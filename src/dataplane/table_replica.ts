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
import type {
  CertificateConfig,
  GatewayConfig,
  RuleConfig,
  VirtualHostConfig,
} from "../model/config.ts";
import type { PortOutline, TableUpdate } from "./table_update.ts";

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
 * const writer = new TableUpdateWriter();
 * const replica = new TableReplica();
 * replica.apply(writer.next({ ports: [], rules: {} }, []))?.config; // { ports: [], rules: {} }
 * replica.version; // 1
 * ```
 */
export class TableReplica {
  #version: number | undefined;
  #hosts = new Map<number, VirtualHostConfig>();
  #rules: Record<string, RuleConfig> = {};
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
      this.#rules = {};
      this.#certificates = [];
      throw error;
    }
  }

  #apply(update: TableUpdate): ReplicatedConfig {
    const full = update.base === undefined;
    if (full) this.#hosts = new Map();
    const hosts = this.#hosts;
    for (const id of update.droppedHosts) hosts.delete(id);
    for (const [id, host] of update.hosts) hosts.set(id, host);
    // A new record: the config handed out before keeps its rules.
    const rules: Record<string, RuleConfig> = full ? {} : { ...this.#rules };
    for (const key of update.droppedRules) delete rules[key];
    for (const [key, rule] of update.rules) rules[key] = rule;
    const ports = update.ports.map((port) => expandPort(port, hosts, update.version));
    this.#rules = rules;
    if (update.certificates !== undefined) this.#certificates = update.certificates;
    this.#version = update.version;
    return { config: { ports, rules }, certificates: this.#certificates };
  }
}

/** A port outline with its listeners' hosts filled in from `hosts`. */
function expandPort(
  port: PortOutline,
  hosts: Map<number, VirtualHostConfig>,
  version: number,
): GatewayConfig["ports"][number] {
  const listeners = port.listeners.map(({ hostIds, ...head }) => {
    const virtualHosts: VirtualHostConfig[] = new Array(hostIds.length);
    for (let i = 0; i < hostIds.length; i++) {
      const host = hosts.get(hostIds[i]);
      if (host === undefined) {
        throw new RangeError(
          `Cannot apply table update ${version}: listener ${head.id} names host ${
            hostIds[i]
          }, which it neither carries nor held`,
        );
      }
      virtualHosts[i] = host;
    }
    return { ...head, virtualHosts };
  });
  return { ...port, listeners };
}
