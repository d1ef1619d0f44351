/**
 * The URL our HTTP/1.1 server hands the handler, spelled as `Deno.serve`
 * spells it: the scheme, the host and the target as sent.
 * @module
 */
import type { RequestHead } from "./h1_request_head.ts";

/**
 * The URL last made of an origin-form target: a client asks for the same
 * one request after request (the head parser then gives the same strings).
 */
let lastUrl = { scheme: "", host: "", target: "", url: "" };

/**
 * The URL of `head` on a connection of `scheme` (`conn`'s local port names
 * a request without `Host`); an absolute-form target's authority replaces
 * the `Host` field of `head` (read after this).
 *
 * @example
 * ```ts
 * import { requestUrl } from "./h1_url.ts";
 * import { parseRequestHead } from "./h1_request_head.ts";
 * declare const conn: Deno.Conn;
 * const bytes = new TextEncoder().encode("GET /x HTTP/1.1\r\nHost: a.example");
 * requestUrl("http", parseRequestHead(bytes, 0, bytes.length), conn); // "http://a.example/x"
 * ```
 */
export function requestUrl(scheme: "http" | "https", head: RequestHead, conn: Deno.Conn): string {
  const target = head.target;
  if (target.charCodeAt(0) === 47 /* / */) {
    const host = head.host ?? `localhost:${(conn.localAddr as Deno.NetAddr).port}`;
    const last = lastUrl;
    if (last.host === host && last.target === target && last.scheme === scheme) return last.url;
    const url = `${scheme}://${host}${target}`;
    lastUrl = { scheme, host, target, url };
    return url;
  }
  if (target === "*") return `${scheme}://${head.host ?? "localhost"}/*`;
  // Absolute-form: its authority is the host, whatever Host says (RFC 9112 §3.2.2).
  const rest = target.slice(target.indexOf("://") + 3);
  const slash = rest.search(/[/?]/);
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? "/" : rest.slice(slash);
  head.fields.replaceHost(authority);
  return `${scheme}://${authority}${path}`;
}
