/**
 * An upgrade request taken out of a diverted connection
 * (`upgrade_relay.ts`), handled outside the HTTP engine: a slot under the
 * upgraded-connection limit (503 past it), the request routed by the port's
 * handler with the upgrade-aware upstream client (`upgrade_client.ts`),
 * then the backend's `101` written to the client and both connections
 * spliced (`byte_splice.ts`) until either side closes or the tunnel idles
 * out; any other answer is passed back and the connection closed. A tunnel
 * holds no route table: it outlives table swaps.
 * @module
 */
import type { Logger } from "../log/logger.ts";
import { splice } from "./byte_splice.ts";
import type { ConnectionHandler } from "./serve_connection.ts";
import type { UpgradeRequestHead } from "./upgrade_request_head.ts";
import { runUpgrade, takeUpgraded } from "./upgrade_client.ts";
import { type UpgradeLimits, writeSimpleResponse, writeSwitchingHead } from "./upgrade_wire.ts";
import { closeQuietly } from "./tcp_relay.ts";

/** Where an upgrade request came from and who routes it. */
export interface TunnelContext {
  /** The listening port (the authority of a request without `Host`). */
  port: number;
  scheme: "http" | "https";
  /** Routes the request (the port's, or a TLS connection's own). */
  handler: ConnectionHandler;
  /** The address the handler is told the request came from. */
  remoteAddr: Deno.NetAddr;
  limits: UpgradeLimits;
  logger: Logger;
}

/**
 * Handles the upgrade request `head` of `client` (`rest`: the bytes after
 * it, the tunnel's first); closes `client` once done.
 *
 * @example
 * ```ts
 * import { tunnel, type TunnelContext } from "./upgrade_tunnel.ts";
 * import type { UpgradeRequestHead } from "./upgrade_request_head.ts";
 * declare const client: Deno.Conn, head: UpgradeRequestHead, ctx: TunnelContext;
 * await tunnel(client, head, new Uint8Array(0), ctx);
 * ```
 */
export async function tunnel(
  client: Deno.Conn,
  head: UpgradeRequestHead,
  rest: Uint8Array,
  ctx: TunnelContext,
): Promise<void> {
  try {
    if (!ctx.limits.tryOpen()) {
      ctx.logger.warn("Refusing an upgrade: the upgraded connection limit is reached", {
        limit: ctx.limits.max,
      });
      await writeSimpleResponse(client, 503, "Too many upgraded connections\n");
      return;
    }
    try {
      await handshakeAndSplice(client, head, rest, ctx);
    } finally {
      ctx.limits.close();
    }
  } finally {
    closeQuietly(client);
  }
}

async function handshakeAndSplice(
  client: Deno.Conn,
  head: UpgradeRequestHead,
  rest: Uint8Array,
  ctx: TunnelContext,
): Promise<void> {
  const authority = head.host ?? `localhost:${ctx.port}`;
  let request: Request;
  try {
    request = new Request(`${ctx.scheme}://${authority}${head.target}`, {
      method: head.method,
      headers: head.headers,
    });
  } catch {
    await writeSimpleResponse(client, 400, "Bad request: invalid request target or Host\n");
    return;
  }
  const info = { remoteAddr: ctx.remoteAddr, completed: Promise.resolve() };
  const response = await runUpgrade(head.upgrade, () => ctx.handler(request, info));
  const backend = takeUpgraded(response);
  if (backend === undefined) return await writeSimpleResponse(client, response);
  try {
    await writeSwitchingHead(client, response.headers, backend.upgrade);
  } catch {
    closeQuietly(backend.conn);
    return;
  }
  ctx.limits.started();
  const spliced = splice(client, backend.conn, {
    aFirst: rest,
    bFirst: backend.leftover,
    idleMs: ctx.limits.idleMs,
  });
  ctx.limits.ended((await spliced.done).end);
}
