/**
 * Misdirected requests on HTTPS listeners (Gateway API `Listener.hostname`,
 * RFC 9113 §9.1.2): a client may reuse a TLS connection for every host its
 * certificate covers, so a connection negotiated for one listener can carry
 * requests whose Host belongs to another listener on the same port. The spec
 * asks for 421 when another listener matches the Host, and 404 when no
 * listener matches it.
 *
 * A connection belongs to the listener its SNI selected when the port knows
 * the SNI (`tls_port_server.ts`, `client-hello`): the caller sets
 * `ConnectionBinding.listenerId` before the first request. Otherwise (the
 * `first-request` mode, or a connection whose SNI is unknown) the first
 * request binds it to its Host's listener: a client that follows RFC 6066
 * sends that Host as its SNI, so coalesced requests still get 421.
 * @module
 */
import type { ListenerConfig } from "../model/config.ts";
import type { RouteTable } from "../router/router.ts";
import { normalizeServerName } from "./sni.ts";

/** Per-connection state: the listener the connection belongs to. */
export interface ConnectionBinding {
  /** Listener id, once a request bound the connection. */
  listenerId?: string;
}

/** The outcome of {@linkcode checkMisdirected}. */
export type MisdirectedVerdict =
  /** Route it (the data plane answers 404 when no listener takes the host). */
  | { misdirected: false; listener: ListenerConfig | undefined }
  /** Answer 421: `listener` is the one the Host belongs to. */
  | { misdirected: true; listener: ListenerConfig; boundTo: string };

/**
 * The host name of a request (`Host` for HTTP/1.1, `:authority` for HTTP/2,
 * both surface in `request.url`), lower case, without port or brackets.
 */
export function requestHostname(request: { readonly url: string }): string {
  const url = request.url;
  const start = url.indexOf("//") + 2;
  let end = url.indexOf("/", start);
  if (end < 0) end = url.length;
  return authorityHostname(url.slice(start, end));
}

/** The host name of a URL's authority: lower case, without userinfo, port or brackets. */
function authorityHostname(authority: string): string {
  const at = authority.lastIndexOf("@");
  if (at >= 0) authority = authority.slice(at + 1);
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    return authority.slice(1, close < 0 ? undefined : close).toLowerCase();
  }
  const colon = authority.indexOf(":");
  return normalizeServerName(colon < 0 ? authority : authority.slice(0, colon));
}

/**
 * {@linkcode requestHostname} for the requests of one connection, which
 * nearly always share one authority: while a URL starts with the last one's
 * scheme and authority (up to the path's `/`), the last answer stands.
 *
 * @example
 * ```ts
 * import { connectionHostnames } from "./sni_misdirected.ts";
 * const hostOf = connectionHostnames();
 * hostOf({ url: "https://A.example/x" }); // "a.example"
 * hostOf({ url: "https://A.example/y" }); // "a.example", from the memo
 * ```
 */
export function connectionHostnames(): (request: { readonly url: string }) => string {
  let prefix = "";
  let host = "";
  return (request) => {
    const url = request.url;
    if (prefix !== "" && url.startsWith(prefix)) return host;
    host = requestHostname(request);
    const end = url.indexOf("/", url.indexOf("//") + 2);
    prefix = end < 0 ? "" : url.slice(0, end + 1);
    return host;
  };
}

/**
 * The host name the router will route a request by, for the requests of one
 * connection: its `Host` field when it has one that is not empty, else its
 * URL's authority (`request_address.ts` picks the same). The gate must name
 * the host the router takes: naming the URL's (`:authority` on HTTP/2, the
 * target's on an absolute-form request through Deno's engine) would let a
 * request whose `Host` names another listener through on this connection.
 * While the field's value repeats, the last answer stands; a request without
 * one is named by {@linkcode connectionHostnames}. Our HTTP/1.1 server joins
 * a fast-path request's URL from three strings and nothing else there reads
 * it: reading it here made V8 copy it into one string a request (about 2.4k
 * instructions of an HTTPS keep-alive request, `bench/_tls_instructions.ts`).
 *
 * @example
 * ```ts
 * import { routedHostnames } from "./sni_misdirected.ts";
 * const hostOf = routedHostnames();
 * const headers = { get: (name: string) => name === "host" ? "A.example:8443" : null };
 * hostOf({ url: "https://A.example:8443/x", headers }); // "a.example"
 * ```
 */
export function routedHostnames(): (request: {
  readonly url: string;
  readonly headers: { get(name: string): string | null };
}) => string {
  const byUrl = connectionHostnames();
  let field: string | null = null;
  let host = "";
  return (request) => {
    const value = request.headers.get("host");
    if (value === null || value === "") return byUrl(request);
    if (value !== field) {
      const slash = value.indexOf("/");
      host = authorityHostname(slash < 0 ? value : value.slice(0, slash));
      field = value;
    }
    return host;
  };
}

/**
 * Decides whether a request on a connection is misdirected, and binds an
 * unbound connection to the listener of the request's host.
 *
 * @example
 * ```ts
 * import { checkMisdirected, type ConnectionBinding } from "./sni_misdirected.ts";
 * import type { RouteTable } from "../router/router.ts";
 * declare const table: RouteTable;
 * const binding: ConnectionBinding = {};
 * checkMisdirected(table, 443, binding, "a.example.com"); // binds to a's listener
 * checkMisdirected(table, 443, binding, "b.example.com"); // { misdirected: true, ... }
 * ```
 */
export function checkMisdirected(
  table: RouteTable,
  port: number,
  binding: ConnectionBinding,
  host: string,
  address?: string,
): MisdirectedVerdict {
  const listener = table.listenerFor(port, host, address);
  if (listener === undefined) return { misdirected: false, listener };
  if (binding.listenerId === undefined) {
    binding.listenerId = listener.id;
    return { misdirected: false, listener };
  }
  if (binding.listenerId === listener.id) return { misdirected: false, listener };
  // The bound listener may be gone after a table swap; the connection then
  // belongs to whichever listener its hosts map to now.
  if (!listenerExists(table, port, address, binding.listenerId)) {
    binding.listenerId = listener.id;
    return { misdirected: false, listener };
  }
  return { misdirected: true, listener, boundTo: binding.listenerId };
}

function listenerExists(
  table: RouteTable,
  port: number,
  address: string | undefined,
  id: string,
): boolean {
  const config = table.config.ports.find((p) => p.port === port && p.address === address);
  return config !== undefined && config.listeners.some((l) => l.id === id);
}

/** The 421 response. The host is not echoed: the body stays constant. */
export function misdirectedResponse(): Response {
  return new Response("Misdirected request: open a new connection for this host\n", {
    status: 421,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}
