/**
 * The head handling of the raw proxies (`_raw_proxy.ts` on the runtime's
 * sockets, `_ffi_proxy.ts` on libc's): string heads, the way a first proxy
 * would write them, so that the two differ in their sockets alone. A leaf.
 * @module
 */

/**
 * The head sent upstream for the client's request `head` (its blank line
 * included): `Connection` dropped, `Host` moved last with the forwarded
 * fields after it.
 */
export function forwardedRequestHead(head: string, remote: string, scheme: string): string {
  const lines = head.split("\r\n");
  let host = "";
  let out = lines[0] + "\r\n";
  for (let i = 1; i < lines.length - 2; i++) {
    const line = lines[i];
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).toLowerCase();
    if (name === "host") host = line.slice(colon + 1).trim();
    else if (name !== "connection") out += line + "\r\n";
  }
  return out + `host: ${host}\r\nx-forwarded-for: ${remote}\r\nx-forwarded-proto: ${scheme}\r\n` +
    `x-forwarded-host: ${host}\r\n\r\n`;
}

/**
 * The head sent to the client for the backend's response `head` (its blank
 * line included), `Connection` and `Keep-Alive` dropped, and the length of
 * the body its `Content-Length` declares (0 without one).
 */
export function clientResponseHead(head: string): { head: string; length: number } {
  const lines = head.split("\r\n");
  let length = 0;
  let out = lines[0] + "\r\n";
  for (let i = 1; i < lines.length - 2; i++) {
    const line = lines[i];
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).toLowerCase();
    if (name === "content-length") length = Number(line.slice(colon + 1).trim());
    if (name !== "connection" && name !== "keep-alive") out += line + "\r\n";
  }
  return { head: out + "\r\n", length };
}
