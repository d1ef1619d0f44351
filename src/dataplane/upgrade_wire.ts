/**
 * What an upgrade-aware port writes to a client itself, outside the HTTP
 * engine (`upgrade_port_server.ts`): the `101 Switching Protocols` head of a
 * tunnel, and any other answer to an upgrade request (a refusal passed back
 * from the backend, a 404, a 503 past the limit) as HTTP/1.1 with
 * `Connection: close`. Also the limit on open tunnels and their counts.
 * @module
 */
import { STATUS_TEXT } from "@std/http";
import type { SpliceEnd } from "./byte_splice.ts";

/** Observes tunnels (metrics). */
export interface UpgradeObserver {
  /** A tunnel started splicing. */
  opened(): void;
  /** A tunnel ended (`idle`: its idle timeout). */
  closed(why: SpliceEnd): void;
}

/**
 * The process's upgraded connections: at most `max` at once (the client
 * gets 503 past it; `0`: no limit), each closed after `idleMs` without a
 * byte either way (`0`: never). A slot is taken before the backend is asked,
 * so a burst of handshakes cannot overshoot the limit.
 */
export class UpgradeLimits {
  readonly max: number;
  readonly idleMs: number;
  readonly #observer: UpgradeObserver | undefined;
  #open = 0;
  constructor(max: number, idleMs: number, observer?: UpgradeObserver) {
    this.max = max;
    this.idleMs = idleMs;
    this.#observer = observer;
  }
  /** Slots taken (handshakes in progress and open tunnels). */
  get open(): number {
    return this.#open;
  }
  /** Takes a slot; false at the limit. */
  tryOpen(): boolean {
    if (this.max > 0 && this.#open >= this.max) return false;
    this.#open++;
    return true;
  }
  /** Gives a slot back. */
  close(): void {
    if (this.#open > 0) this.#open--;
  }
  /** The tunnel of a taken slot started splicing. */
  started(): void {
    this.#observer?.opened();
  }
  /** That tunnel ended. */
  ended(why: SpliceEnd): void {
    this.#observer?.closed(why);
  }
}

const encoder = new TextEncoder();

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

/** Framing and connection headers this module writes itself. */
const OWN = new Set(["connection", "upgrade", "content-length", "transfer-encoding", "keep-alive"]);

function headerLines(headers: Headers): string {
  let out = "";
  for (const [name, value] of headers) {
    if (!OWN.has(name)) out += `${name}: ${value}\r\n`;
  }
  return out;
}

/**
 * Writes the `101` head of a tunnel: the (filtered, modified) headers of the
 * backend's answer, then `Connection: upgrade` and its `Upgrade`.
 */
export async function writeSwitchingHead(
  conn: Deno.Conn,
  headers: Headers,
  upgrade: string,
): Promise<void> {
  const head = `HTTP/1.1 101 Switching Protocols\r\n${headerLines(headers)}` +
    `connection: upgrade\r\nupgrade: ${upgrade}\r\n\r\n`;
  await writeAll(conn, encoder.encode(head));
}

/**
 * Writes `response` (or a text answer with `status` and `text`) and ends
 * the exchange: `Connection: close`, the body framed by its length when
 * known, else by the close. Never throws: a client gone mid-answer is its
 * own business.
 */
export async function writeSimpleResponse(
  conn: Deno.Conn,
  response: Response | number,
  text = "",
): Promise<void> {
  const res = typeof response === "number"
    ? new Response(text, {
      status: response,
      headers: { "content-type": "text/plain; charset=utf-8" },
    })
    : response;
  try {
    const length = res.headers.get("content-length");
    const known = res.body === null
      ? "content-length: 0\r\n"
      : length === null
      ? ""
      : `content-length: ${length}\r\n`;
    const reason = STATUS_TEXT[res.status] ?? "Unknown";
    await writeAll(
      conn,
      encoder.encode(
        `HTTP/1.1 ${res.status} ${reason}\r\n${
          headerLines(res.headers)
        }${known}connection: close\r\n\r\n`,
      ),
    );
    if (res.body !== null) {
      for await (const chunk of res.body) await writeAll(conn, chunk);
    }
  } catch {
    await res.body?.cancel().catch(() => {});
  }
}
