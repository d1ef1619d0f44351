/**
 * Bind failures of pool addresses, folded into the Gateway statuses
 * `translate` computed. `translate` cannot know whether the host owns an
 * address; the listener manager finds out when it binds. A Gateway whose own
 * address (`--gateway-address-pool`) cannot be bound is then
 * `Programmed=False` with `AddressNotUsable`, as the spec asks for "a
 * provided static address can't be used", instead of claiming to serve.
 * Ports on the shared listen host are left alone: no one Gateway owns them.
 * @module
 */
import type { Condition } from "../resources/object_meta.ts";
import type { ObjectStatus, TranslateResult } from "../model/config.ts";
import type { ListenerPortState } from "../dataplane/listener_port_state.ts";

/**
 * `result` itself when every pool port is bound (its statuses unread: a
 * translate builds that list on first read), else a copy with
 * {@linkcode statusesWithBindFailures}.
 *
 * @example
 * ```ts
 * import { resultWithBindFailures } from "./bind_failures.ts";
 * import { ruleMapOf } from "../model/rule_map.ts";
 * const result = { config: { ports: [], rules: ruleMapOf() }, certificates: [], statuses: [], problems: [] };
 * resultWithBindFailures(result, []) === result; // true
 * ```
 */
export function resultWithBindFailures(
  result: TranslateResult,
  ports: readonly ListenerPortState[],
): TranslateResult {
  if (!ports.some((state) => !state.bound && state.address !== undefined)) return result;
  const statuses = statusesWithBindFailures(result, ports);
  return statuses === result.statuses ? result : { ...result, statuses };
}

/**
 * The statuses of `result` with every Gateway that owns an unbound pool
 * port marked not programmed. Returns `result.statuses` itself when no pool
 * port failed.
 *
 * @example
 * ```ts
 * import { statusesWithBindFailures } from "./bind_failures.ts";
 * import { ruleMapOf } from "../model/rule_map.ts";
 * const result = { config: { ports: [], rules: ruleMapOf() }, certificates: [], statuses: [], problems: [] };
 * statusesWithBindFailures(result, []); // result.statuses
 * ```
 */
export function statusesWithBindFailures(
  result: Pick<TranslateResult, "config" | "statuses">,
  ports: readonly ListenerPortState[],
): ObjectStatus[] {
  const failures = new Map<string, string[]>();
  for (const state of ports) {
    if (state.bound || state.address === undefined) continue;
    const config = result.config.ports.find((p) =>
      p.port === state.port && p.address === state.address
    );
    const message = state.error ?? `Cannot bind ${state.address}:${state.port}`;
    for (const id of config?.listeners.flatMap((l) => l.ids) ?? []) {
      const gateway = gatewayOfListener(id);
      if (gateway === undefined) continue;
      const list = failures.get(gateway) ?? [];
      if (!list.includes(message)) list.push(message);
      failures.set(gateway, list);
    }
  }
  if (failures.size === 0) return result.statuses;
  return result.statuses.map((status) => {
    const messages = status.kind === "Gateway"
      ? failures.get(`${status.namespace}/${status.name}`)
      : undefined;
    if (messages === undefined) return status;
    const conditions = (status.status.conditions ?? []).map((c): Condition =>
      c.type === "Programmed"
        ? {
          ...c,
          status: "False",
          reason: "AddressNotUsable",
          message: `Gateway address cannot be bound on this host: ${messages.join("; ")}`,
        }
        : c
    );
    return { ...status, status: { ...status.status, conditions } };
  });
}

/** `namespace/name` of the Gateway of a listener id (`gateway/<ns>/<name>/listener/<section>`). */
function gatewayOfListener(id: string): string | undefined {
  const parts = id.split("/");
  return parts.length === 5 && parts[0] === "gateway" && parts[3] === "listener"
    ? `${parts[1]}/${parts[2]}`
    : undefined;
}
