/**
 * Listener conflicts: listeners that are not distinct (same port with
 * different protocols, or same port, protocol and hostname) are Conflicted
 * and not programmed. TLS listeners in modes Passthrough and Terminate share
 * a port (the spec's `TLSRouteModeMixed`): each connection's SNI picks its
 * listener before any TLS answer, so the mode is the listener's, not the
 * port's.
 * @module
 */
import type { TranslateContext } from "./context.ts";
import { Reason } from "./conditions.ts";
import type { ListenerState } from "./listener_state.ts";

/**
 * Marks conflicts among the listeners of one Gateway. Every indistinct
 * listener is marked: the spec forbids picking a winner inside one Gateway.
 * Listeners that are not accepted (unsupported protocol or TLS mode) take no
 * part, since this gateway never serves them.
 */
export function markConflictsWithinGateway(ctx: TranslateContext, states: ListenerState[]): void {
  const candidates = states.filter((s) => s.accepted.ok);
  const byPort = new Map<number, ListenerState[]>();
  for (const s of candidates) {
    byPort.set(s.listener.port, [...(byPort.get(s.listener.port) ?? []), s]);
  }
  for (const [port, group] of byPort) {
    const protocols = new Set(group.map(protocolKey));
    if (protocols.size > 1) {
      for (const s of group) {
        s.conflicted = {
          reason: Reason.ProtocolConflict,
          message: `Port ${port} is used by listeners with different protocols (${
            [...protocols].sort().join(", ")
          })`,
        };
        ctx.problem(s.owner, `${s.field}.port`, s.conflicted.message);
      }
      continue;
    }
    const byHostname = new Map<string, ListenerState[]>();
    for (const s of group) {
      const host = s.listener.hostname ?? "";
      byHostname.set(host, [...(byHostname.get(host) ?? []), s]);
    }
    for (const [host, same] of byHostname) {
      if (same.length < 2) continue;
      for (const s of same) {
        s.conflicted = {
          reason: Reason.HostnameConflict,
          message: `Listeners ${
            same.map((o) => JSON.stringify(o.listener.name)).join(", ")
          } share port ${port} and hostname ${JSON.stringify(host || "(none)")}`,
        };
        ctx.problem(s.owner, `${s.field}.hostname`, s.conflicted.message);
      }
    }
  }
}

/**
 * Marks listeners that use a port another, older Gateway already serves with
 * a different protocol. `states` must be in Gateway precedence order (oldest
 * first); the first Gateway to claim a port keeps it.
 */
export function markConflictsAcrossGateways(
  ctx: TranslateContext,
  states: readonly ListenerState[],
): void {
  const owners = new Map<number, ListenerState>();
  for (const s of states) {
    if (!s.accepted.ok || s.conflicted) continue;
    const owner = owners.get(s.listener.port);
    if (!owner) {
      owners.set(s.listener.port, s);
    } else if (protocolKey(owner) !== protocolKey(s) && owner.gateway !== s.gateway) {
      conflict(
        ctx,
        s,
        `Port ${s.listener.port} is already served as ${protocolKey(owner)} by ${owner.id}`,
      );
    }
  }
  markModeConflictsAcrossGateways(ctx, states);
}

/**
 * Listeners of several Gateways with the same port and hostname are merged
 * into one (the oldest Gateway's settings serve them all). TLS listeners of
 * one hostname in different modes cannot be merged: a connection either
 * passes through or is terminated, so the later one is a `ProtocolConflict`.
 */
function markModeConflictsAcrossGateways(
  ctx: TranslateContext,
  states: readonly ListenerState[],
): void {
  const first = new Map<string, ListenerState>();
  for (const s of states) {
    if (!s.accepted.ok || s.conflicted || s.protocol !== "TLS") continue;
    const key = `${s.listener.port}|${s.listener.hostname ?? ""}`;
    const owner = first.get(key);
    if (owner === undefined) first.set(key, s);
    else if (tlsMode(owner) !== tlsMode(s)) {
      conflict(
        ctx,
        s,
        `Port ${s.listener.port} and hostname ${
          JSON.stringify(s.listener.hostname ?? "(none)")
        } are already served in TLS mode ${tlsMode(owner)} by ${owner.id}`,
      );
    }
  }
}

function conflict(ctx: TranslateContext, s: ListenerState, message: string): void {
  s.conflicted = { reason: Reason.ProtocolConflict, message };
  ctx.problem(s.owner, `${s.field}.port`, message);
}

function tlsMode(state: ListenerState): string {
  return state.listener.tls?.mode ?? "Terminate";
}

/**
 * What must match for listeners to share a port: the protocol. TLS modes may
 * mix on a port (each listener keeps its own); HTTPS and TLS may not, since
 * an HTTPS port answers every handshake itself.
 */
export function protocolKey(state: ListenerState): string {
  return state.protocol ?? state.listener.protocol;
}
