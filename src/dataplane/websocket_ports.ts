/**
 * Whether a port's routes reach a `kubernetes.io/ws` or `wss` backend, the
 * question `--upgrades auto` asks on the first connection after every table
 * swap, in the main isolate and in each data-plane worker. Walking every
 * host, match and backend of the table took about a millisecond at 5,000
 * routes, per change and per isolate; here each port keeps, per listener,
 * how many of its hosts reach one, and a new table costs the hosts that
 * came and went. That leans on the contract the caching route compiler
 * leans on (`createRouteTableCompiler`): a virtual host object that comes
 * again names the very rule objects it named before (`translate` and the
 * worker's table replica make a new host whenever a rule serving it changed).
 * @module
 */
import type { GatewayConfig, VirtualHostConfig } from "../model/config.ts";
import type { RuleMap } from "../model/rule_map.ts";
import { socketKey } from "../model/config.ts";
import { listChanges } from "../model/list_changes.ts";
import { listTrail } from "../model/list_trail.ts";
import type { RouteTable } from "../router/router.ts";

/** Whether a host's matches reach a WebSocket backend, by host object (see the module note). */
const hostReaches = new WeakMap<VirtualHostConfig, boolean>();

/** One listener's hosts as last seen and how many of them reach a WebSocket backend. */
interface ListenerCount {
  /** The array the listener gave, to skip an unchanged listener at once. */
  given: readonly VirtualHostConfig[];
  /** A plain copy of it, to compare the next one with (see `listChanges`). */
  hosts: readonly VirtualHostConfig[];
  reaching: number;
}

/**
 * One port's answer, kept across tables.
 *
 * @example
 * ```ts
 * import { WebSocketPort } from "./websocket_ports.ts";
 * import { compileRouteTable } from "../router/compile_route_table.ts";
 * import { ruleMapOf } from "../model/rule_map.ts";
 * const port = new WebSocketPort({ port: 80 });
 * port.reaches(compileRouteTable({ ports: [], rules: ruleMapOf() })); // false
 * ```
 */
export class WebSocketPort {
  readonly #key: string;
  /** By listener id; replaced by each new config. */
  #listeners = new Map<string, ListenerCount>();
  /** Answers by config, held weakly: a config that is swapped out is not kept alive here. */
  readonly #answers = new WeakMap<GatewayConfig, boolean>();

  /** `socket`: the listening port and its pool address, as in `PortConfig`. */
  constructor(socket: { address?: string; port: number }) {
    this.#key = socketKey(socket);
  }

  /** Whether a route of `table` on this port reaches a `kubernetes.io/ws` or `wss` backend. */
  reaches(table: RouteTable): boolean {
    const { config } = table;
    let answer = this.#answers.get(config);
    if (answer === undefined) {
      answer = this.#count(config);
      this.#answers.set(config, answer);
    }
    return answer;
  }

  #count(config: GatewayConfig): boolean {
    const before = this.#listeners;
    const after = new Map<string, ListenerCount>();
    let reaching = 0;
    for (const port of config.ports) {
      if (socketKey(port) !== this.#key) continue;
      for (const { id, virtualHosts } of port.listeners) {
        if (after.has(id)) {
          // A second listener of the same id (translate makes none): counted in full, not kept.
          reaching += countAll(virtualHosts, config.rules).reaching;
          continue;
        }
        const counted = update(before.get(id), virtualHosts, config.rules);
        after.set(id, counted);
        reaching += counted.reaching;
      }
    }
    this.#listeners = after;
    return reaching > 0;
  }
}

/** `before` brought up to `given`: only the hosts that came or went are looked at. */
function update(
  before: ListenerCount | undefined,
  given: readonly VirtualHostConfig[],
  rules: RuleMap,
): ListenerCount {
  if (before === undefined) return countAll(given, rules);
  if (before.given === given) return before;
  // The list before as given, when this one says what changed since it (no walk).
  const since = listTrail(given)?.since === before.given ? before.given : before.hosts;
  const { added, removed, list } = listChanges(since, given);
  let reaching = before.reaching;
  for (const host of added) if (reachesWebSocket(host, rules)) reaching++;
  for (const host of removed) if (reachesWebSocket(host, rules)) reaching--;
  return { given, hosts: list, reaching };
}

function countAll(
  given: readonly VirtualHostConfig[],
  rules: RuleMap,
): ListenerCount {
  const hosts = Array.from(given);
  let reaching = 0;
  for (const host of hosts) if (reachesWebSocket(host, rules)) reaching++;
  return { given, hosts, reaching };
}

/**
 * Whether `host` reaches a WebSocket backend, looked up in `rules` the first
 * time the host object is seen. A removed host was seen when it came, so its
 * answer is the one it was counted with.
 */
function reachesWebSocket(host: VirtualHostConfig, rules: RuleMap): boolean {
  let reaches = hostReaches.get(host);
  if (reaches === undefined) {
    reaches = host.matches.some((m) =>
      rules.get(m.rule)?.backends.some((b) => b.websocket === true) === true
    );
    hostReaches.set(host, reaches);
  }
  return reaches;
}
