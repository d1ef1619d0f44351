/**
 * `HOST:PORT` addresses for the admin and telemetry listeners. IPv6 hosts are
 * written in brackets (`[::1]:9901`), as in URLs, so the last colon is never
 * ambiguous.
 *
 * @example
 * ```ts
 * import { parseHostPort } from "./host_port.ts";
 * parseHostPort("127.0.0.1:9901"); // { hostname: "127.0.0.1", port: 9901 }
 * ```
 * @module
 */

/** A listening address; `hostname` has no brackets, ready for `Deno.serve`. */
export interface HostPort {
  hostname: string;
  port: number;
}

const HOST = /^[A-Za-z0-9.\-]+$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;

/** Parses `host:port` or `[v6]:port`; `undefined` if it is not one. Port 0 asks the OS for one. */
export function parseHostPort(text: string): HostPort | undefined {
  const value = text.trim();
  let hostname: string;
  let portText: string;
  if (value.startsWith("[")) {
    const close = value.indexOf("]");
    if (close < 0 || value[close + 1] !== ":") return undefined;
    hostname = value.slice(1, close);
    portText = value.slice(close + 2);
    if (!IPV6.test(hostname) || !hostname.includes(":")) return undefined;
  } else {
    const colon = value.lastIndexOf(":");
    if (colon <= 0) return undefined;
    hostname = value.slice(0, colon);
    portText = value.slice(colon + 1);
    if (!HOST.test(hostname)) return undefined;
  }
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535) return undefined;
  return { hostname, port };
}

/** Whether `text` can be a bind host (`0.0.0.0`, `::`, `127.0.0.1`, `localhost`). */
export function isBindHost(text: string): boolean {
  return text.length > 0 && (HOST.test(text) || (IPV6.test(text) && text.includes(":")));
}

/** Formats an address for logs and URLs (`[::1]:9901`, `127.0.0.1:9901`). */
export function formatHostPort(address: HostPort): string {
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return `${host}:${address.port}`;
}
