/**
 * A request head of a diverted client connection, read before the HTTP
 * engine sees it, on ports that pass upgrades through
 * (`upgrade_framing.ts`): whether it is an HTTP/1.1 `Upgrade` request
 * decides whether it is tunnelled or handed to the engine. Parsing is
 * strict; a head that does not parse is not an upgrade, and the engine
 * answers it (400).
 * @module
 */
import { isFieldValue, isToken, latin1 } from "./http1_bytes.ts";

/** Largest request head held before the decision; a bigger one goes to the engine (431). */
export const MAX_REQUEST_HEAD_BYTES = 64 * 1024;

/** A parsed request head that asks for an upgrade. */
export interface UpgradeRequestHead {
  method: string;
  /** Request-target as sent (origin-form). */
  target: string;
  /** Header fields in order, names as sent. */
  headers: [string, string][];
  /** The `Upgrade` header value (e.g. `websocket`). */
  upgrade: string;
  /** The `Host` header, `null` when absent. */
  host: string | null;
}

const TARGET = /^\/[\x21-\x7e]*$/;

/** Offset just past the first `\r\n\r\n` in `buf[0, end)`, or `-1`. */
export function findHeadEnd(buf: Uint8Array, end: number, from = 0): number {
  for (let i = Math.max(0, from - 3); i + 3 < end; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) {
      return i + 4;
    }
  }
  return -1;
}

/**
 * Parses the head in `buf[0, headEnd)` and returns it when it is an HTTP/1.1
 * request asking for an upgrade: `Connection` lists `upgrade`, `Upgrade` is
 * present (and not `h2c`, which the engine does not speak), and no request
 * body is announced. Anything else, malformed heads included: `undefined`.
 *
 * @example
 * ```ts
 * import { parseUpgradeRequestHead } from "./upgrade_request_head.ts";
 * const bytes = new TextEncoder().encode(
 *   "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
 * );
 * parseUpgradeRequestHead(bytes, bytes.length)?.upgrade; // "websocket"
 * ```
 */
export function parseUpgradeRequestHead(
  buf: Uint8Array,
  headEnd: number,
): UpgradeRequestHead | undefined {
  const lines = latin1(buf, 0, headEnd - 4).split("\r\n");
  const request = lines[0].split(" ");
  if (request.length !== 3 || request[2] !== "HTTP/1.1") return undefined;
  const [method, target] = request;
  if (!isToken(method) || !TARGET.test(target)) return undefined;
  const headers: [string, string][] = [];
  let upgrade: string | undefined;
  let host: string | null = null;
  let connectionUpgrade = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(":");
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    if (!isToken(name) || !isFieldValue(value)) return undefined;
    switch (name.toLowerCase()) {
      case "connection":
        if (value.split(",").some((t) => t.trim().toLowerCase() === "upgrade")) {
          connectionUpgrade = true;
        }
        break;
      case "upgrade":
        if (upgrade !== undefined) return undefined;
        upgrade = value;
        break;
      case "host":
        if (host !== null) return undefined;
        host = value;
        break;
      case "transfer-encoding":
        return undefined;
      case "content-length":
        if (value !== "0") return undefined;
        break;
    }
    headers.push([name, value]);
  }
  if (!connectionUpgrade || upgrade === undefined || upgrade === "") return undefined;
  if (upgrade.toLowerCase() === "h2c") return undefined;
  return { method, target, headers, upgrade, host };
}
