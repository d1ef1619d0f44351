/**
 * One diverted client connection, start to end (`upgrade_diversion.ts`):
 * its HTTP/1.1 requests are relayed to the engine through a loopback
 * connection, opened at the first request that is not an upgrade, while
 * their framing is followed (`upgrade_framing.ts`). A request asking for an
 * upgrade, first or later, stops the relay: once the engine's answers to the
 * earlier requests are written out, the loopback connection is closed and
 * the upgrade is handled outside the engine (`upgrade_tunnel.ts`), the bytes
 * after its head included. Without an engine in between the whole time, a
 * connection that only upgrades costs no loopback connection.
 *
 * A request head is held until it is complete, so it has `headerTimeoutMs`
 * from its first byte (the first one: from the start); the engine's own
 * timeouts cover the rest (the idle wait between requests, slow bodies).
 * @module
 */
import { RequestFraming, type RequestStep, ResponseFraming } from "./upgrade_framing.ts";
import type { UpgradeRequestHead } from "./upgrade_request_head.ts";
import { closeQuietly, writeAll } from "./tcp_relay.ts";

/** The loopback connection to the engine serving one diverted client. */
export interface EngineLink {
  conn: Deno.Conn;
  /** Forgets the link (the origin the engine looks up); called once it closed. */
  release(): void;
}

/** What a relay needs from its port. */
export interface RelayContext {
  /** Opens this connection's link to the engine; `undefined`: cannot. */
  openEngine(): Promise<EngineLink | undefined>;
  /**
   * Handles the upgrade request `head` (`rest`: the bytes after it); closes
   * the client. Absent: upgrade requests are relayed to the engine like any
   * other request.
   */
  upgrade?(head: UpgradeRequestHead, rest: Uint8Array): Promise<void>;
  /** Time a request head has to complete, from its first byte. */
  headerTimeoutMs: number;
}

const READ_BUFFER = 16 * 1024;

/** Relays `client`'s conversation until it ends or upgrades; closes `client` in the end. */
export async function relayConversation(client: Deno.Conn, ctx: RelayContext): Promise<void> {
  const relay = new Conversation(client, ctx);
  try {
    await relay.run();
  } finally {
    relay.close();
  }
}

/** The state of one relayed conversation. */
class Conversation {
  readonly #client: Deno.Conn;
  readonly #ctx: RelayContext;
  readonly #requests: RequestFraming;
  readonly #responses = new ResponseFraming();
  #engine: EngineLink | undefined;
  #answers: Promise<void> | undefined;
  /** Set once the engine's side ended, or an upgrade took the client over. */
  #engineDone = false;
  #handedOver = false;
  /** Wakes a pending upgrade once the earlier answers are out, or the engine ended. */
  #wake: (() => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(client: Deno.Conn, ctx: RelayContext) {
    this.#client = client;
    this.#ctx = ctx;
    this.#requests = new RequestFraming(ctx.upgrade !== undefined);
  }

  async run(): Promise<void> {
    this.#armHeadTimer();
    const buf = new Uint8Array(READ_BUFFER);
    for (;;) {
      const n = await this.#client.read(buf).catch(() => null);
      if (n === null) break;
      const step = this.#requests.push(buf.subarray(0, n));
      if (this.#requests.inHead) this.#armHeadTimer();
      else this.#clearHeadTimer();
      if (!await this.#forward(step)) return;
      if (step.upgrade !== undefined) {
        await this.#upgrade(step.upgrade.head, step.upgrade.rest);
        return;
      }
    }
    // The client sent its last byte: the engine finishes what it was asked.
    if (this.#engine === undefined || this.#responses.outstanding === 0) return;
    try {
      await (this.#engine.conn as Deno.TcpConn).closeWrite();
    } catch {
      return;
    }
    await this.#answers;
  }

  close(): void {
    this.#clearHeadTimer();
    this.#closeEngine();
    if (!this.#handedOver) closeQuietly(this.#client);
  }

  /** Sends `step`'s bytes to the engine (connecting first); false when the engine is gone. */
  async #forward(step: RequestStep): Promise<boolean> {
    if (step.forward.length === 0) return true;
    if (this.#engine === undefined) {
      const engine = await this.#ctx.openEngine();
      if (engine === undefined) return false;
      this.#engine = engine;
      this.#answers = this.#relayAnswers(engine.conn);
    }
    // Untracked bytes (`opaque`) may be requests too; no upgrade follows them anyway.
    for (const method of step.methods) this.#responses.expect(method);
    try {
      for (const bytes of step.forward) await writeAll(this.#engine.conn, bytes);
    } catch {
      return false;
    }
    return !this.#engineDone;
  }

  /** Engine → client, following the answers' framing; ends the conversation when the engine does. */
  async #relayAnswers(engine: Deno.Conn): Promise<void> {
    const buf = new Uint8Array(READ_BUFFER);
    try {
      for (;;) {
        const n = await engine.read(buf);
        if (n === null) break;
        const bytes = buf.subarray(0, n);
        this.#responses.scan(bytes);
        await writeAll(this.#client, bytes);
        if (this.#responses.outstanding === 0 || this.#responses.lost) this.#wake?.();
      }
    } catch {
      // A reset, or the link closed for an upgrade.
    } finally {
      this.#engineDone = true;
      this.#wake?.();
      // Nothing more can be answered: unblock the client's read.
      if (!this.#handedOver) closeQuietly(this.#client);
    }
  }

  async #upgrade(head: UpgradeRequestHead, rest: Uint8Array): Promise<void> {
    this.#clearHeadTimer();
    if (this.#engine !== undefined) {
      const responses = this.#responses;
      while (responses.outstanding > 0 && !responses.lost && !this.#engineDone) {
        await new Promise<void>((resolve) => this.#wake = resolve);
      }
      this.#wake = undefined;
      // An answer that closes the connection, or one that cannot be followed, ends it here.
      if (responses.outstanding > 0 || responses.lost || responses.closing) return;
      if (this.#engineDone) return;
      this.#handedOver = true;
      this.#closeEngine();
      await this.#answers;
    }
    this.#handedOver = true;
    await this.#ctx.upgrade?.(head, rest);
  }

  #closeEngine(): void {
    const engine = this.#engine;
    if (engine === undefined) return;
    this.#engine = undefined;
    closeQuietly(engine.conn);
    engine.release();
  }

  #armHeadTimer(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      closeQuietly(this.#client);
      this.#closeEngine();
    }, this.#ctx.headerTimeoutMs);
  }

  #clearHeadTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
