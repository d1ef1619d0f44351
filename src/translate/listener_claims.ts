/**
 * Conflicts between a ListenerSet's listeners and the listeners that take
 * precedence over them on the same Gateway, by an index of what those
 * already serve.
 * @module
 */
import type { TranslateContext } from "./context.ts";
import { Reason } from "./conditions.ts";
import { protocolKey } from "./listener_conflicts.ts";
import type { ListenerState } from "./listener_state.ts";

/**
 * The ports and hostnames that listeners taking precedence over a
 * ListenerSet's already serve on one Gateway (the Gateway's own, then older
 * sets'), indexed so that checking a set's listener costs the same however
 * many came before it.
 */
export class ListenerClaims {
  readonly #ports = new Map<number, { first: ListenerState; hosts: Map<string, ListenerState> }>();

  /** Records the live (accepted, unconflicted) listeners of `states`. */
  add(states: readonly ListenerState[]): void {
    for (const s of states) {
      if (!s.accepted.ok || s.conflicted) continue;
      let port = this.#ports.get(s.listener.port);
      if (port === undefined) {
        this.#ports.set(s.listener.port, port = { first: s, hosts: new Map() });
      }
      const host = s.listener.hostname ?? "";
      if (!port.hosts.has(host)) port.hosts.set(host, s);
    }
  }

  /**
   * Marks the listeners of one ListenerSet that conflict with the claims: a
   * port served with another protocol (`ProtocolConflict`, also for a
   * protocol this gateway does not serve: the port is taken either way), or
   * the same port and hostname (`HostnameConflict`). Unlike within one
   * Gateway, the earlier listener keeps serving. Listeners already
   * conflicted within their set are left so.
   */
  markConflicts(ctx: TranslateContext, states: readonly ListenerState[]): void {
    for (const s of states) {
      const port = this.#ports.get(s.listener.port);
      if (s.conflicted || port === undefined) continue;
      const sameHost = port.hosts.get(s.listener.hostname ?? "");
      if (protocolKey(port.first) !== protocolKey(s)) {
        s.conflicted = {
          reason: Reason.ProtocolConflict,
          message: `Port ${s.listener.port} is already served as ${
            protocolKey(port.first)
          } by listener ${JSON.stringify(port.first.listener.name)} of ${ownerName(port.first)}`,
        };
        ctx.problem(s.owner, `${s.field}.port`, s.conflicted.message);
      } else if (sameHost) {
        s.conflicted = {
          reason: Reason.HostnameConflict,
          message: `Port ${s.listener.port} and hostname ${
            JSON.stringify(s.listener.hostname ?? "(none)")
          } are already served by listener ${JSON.stringify(sameHost.listener.name)} of ${
            ownerName(sameHost)
          }`,
        };
        ctx.problem(s.owner, `${s.field}.hostname`, s.conflicted.message);
      }
    }
  }
}

function ownerName(state: ListenerState): string {
  const { kind, metadata } = state.owner;
  return `${kind} ${metadata.namespace ?? "default"}/${metadata.name}`;
}
