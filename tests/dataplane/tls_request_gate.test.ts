/**
 * The per-request decisions of an HTTPS connection (`tls_request_gate.ts`),
 * without sockets: a table of two listeners on port 443 (`a.example` and
 * `b.example`, the latter validating client certificates when asked), a
 * connection bound by its SNI or by its first Host, 421s, and the client
 * address of a relayed connection.
 */
import { assert, assertEquals } from "@std/assert";
import type { ListenerConfig } from "../../src/model/config.ts";
import type { RouteTable } from "../../src/router/router.ts";
import type { FrontDoorOrigin } from "../../src/dataplane/tls_front_door.ts";
import {
  tlsRequestGate,
  type TlsRequestGateOptions,
} from "../../src/dataplane/tls_request_gate.ts";
import {
  connectionHostnames,
  requestHostname,
  routedHostnames,
} from "../../src/dataplane/sni_misdirected.ts";

function listener(name: string, clientValidation = false): ListenerConfig {
  return {
    id: `listener/${name}`,
    ids: [`listener/${name}`],
    hostname: `${name}.example`,
    port: 443,
    protocol: "HTTPS",
    tls: {
      certificateIds: [`secret/${name}`],
      ...(clientValidation ? { clientValidation: {} as never } : {}),
    },
    virtualHosts: [],
  } as unknown as ListenerConfig;
}

function table(validatingB = false): RouteTable {
  const listeners = [listener("a"), listener("b", validatingB)];
  return {
    config: { ports: [{ port: 443, protocol: "HTTPS", listeners }] },
    listenerFor: (_port: number, host: string) => listeners.find((l) => l.hostname === host),
  } as unknown as RouteTable;
}

const socket: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 50000 };
const client: Deno.NetAddr = { transport: "tcp", hostname: "192.0.2.7", port: 41000 };
const info = { remoteAddr: socket, completed: Promise.resolve() };

function gate(overrides: Partial<TlsRequestGateOptions> = {}) {
  return tlsRequestGate({
    port: 443,
    getTable: () => table(),
    authenticated: false,
    origin: () => undefined,
    listenerOf: (name) => `listener/${name.split(".")[0]}`,
    ...overrides,
  });
}

const status = (verdict: unknown) => verdict instanceof Response ? verdict.status : 0;

Deno.test("a connection without a known SNI belongs to its first request's listener", () => {
  const g = gate();
  assertEquals(g("a.example", info), info);
  assertEquals(status(g("b.example", info)), 421);
  assertEquals(g("a.example", info), info);
  // A host no listener takes is routed (the handler answers 404).
  assertEquals(g("c.example", info), info);
});

Deno.test("a relayed connection belongs to its SNI's listener and gets its client's address", () => {
  const origins = new Map<number, FrontDoorOrigin>([
    [socket.port, { serverName: "b.example", remoteAddr: client }],
  ]);
  const g = gate({ origin: (port) => origins.get(port) });
  assertEquals(status(g("a.example", info)), 421);
  const verdict = g("b.example", info);
  assert(!(verdict instanceof Response));
  assertEquals(verdict.remoteAddr, client);
  assertEquals(verdict.completed, info.completed);
});

Deno.test("asking twice for one request gives the same answer", () => {
  const g = gate();
  assertEquals(g("b.example", info), info);
  assertEquals(g("b.example", info), info);
  assertEquals(status(g("a.example", info)), 421);
  assertEquals(status(g("a.example", info)), 421);
});

Deno.test("a validating listener's host is 421 unless the connection was validated", () => {
  const plain = gate({ getTable: () => table(true) });
  assertEquals(status(plain("b.example", info)), 421);
  const origin: FrontDoorOrigin = { serverName: "b.example", remoteAddr: client };
  const validated = gate({
    getTable: () => table(true),
    authenticated: true,
    origin: () => origin,
  });
  assert(!(validated("b.example", info) instanceof Response));
});

Deno.test("a decrypted connection nobody vouches for gets 421 for every request", () => {
  const g = gate({ authenticated: true });
  assertEquals(status(g("a.example", info)), 421);
  assertEquals(status(g("a.example", info)), 421);
});

Deno.test("without a table every request passes", () => {
  const g = gate({ getTable: () => undefined });
  assertEquals(g("a.example", info), info);
  assertEquals(g("b.example", info), info);
});

Deno.test("a host already let through on the same table is not looked up again; a new table or host is", () => {
  let lookups = 0;
  const counted = (validatingB = false): RouteTable => {
    const inner = table(validatingB);
    return {
      ...inner,
      listenerFor: (port: number, host: string) => {
        lookups++;
        return inner.listenerFor(port, host);
      },
    } as RouteTable;
  };
  let current = counted();
  const g = gate({ getTable: () => current });
  assertEquals(g("a.example", info), info);
  assertEquals(g("a.example", info), info);
  assertEquals(lookups, 1);
  // A refused host is never remembered: each request gets its 421.
  assertEquals(status(g("b.example", info)), 421);
  assertEquals(status(g("b.example", info)), 421);
  assertEquals(lookups, 3);
  // The host let through before is still the one remembered.
  assertEquals(g("a.example", info), info);
  assertEquals(lookups, 3);
  current = counted();
  assertEquals(g("a.example", info), info);
  assertEquals(lookups, 4);
});

Deno.test("a connection's request hosts: the same authority gives the remembered name, another one its own", () => {
  const hostOf = connectionHostnames();
  assertEquals(hostOf({ url: "https://A.Example./x" }), "a.example");
  assertEquals(hostOf({ url: "https://A.Example./y?z" }), "a.example");
  assertEquals(hostOf({ url: "https://a.example.evil/x" }), "a.example.evil");
  assertEquals(hostOf({ url: "https://[::1]:8443/x" }), "::1");
  assertEquals(hostOf({ url: "https://b.example:8443/" }), "b.example");
  assertEquals(hostOf({ url: "https://b.example:8443/more" }), "b.example");
  assertEquals(hostOf({ url: "https://b.example/more" }), "b.example");
  assertEquals(hostOf({ url: "https://c.example" }), "c.example");
});

/** A request of our HTTP/1.1 server's fast path: its URL is the scheme, its Host field and its target. */
function h1Request(host: string, target: string, readUrl: () => void = () => {}) {
  return {
    get url() {
      readUrl();
      return `https://${host}${target}`;
    },
    target,
    headers: { get: (name: string) => name === "host" ? host : null },
  };
}

Deno.test("a request is named by its Host field, without reading its URL, as the router names it", () => {
  const hostOf = routedHostnames();
  let urlReads = 0;
  const read = () => urlReads++;
  assertEquals(hostOf(h1Request("A.Example.", "/x", read)), "a.example");
  assertEquals(hostOf(h1Request("A.Example.", "/y?z", read)), "a.example");
  assertEquals(hostOf(h1Request("b.example:8443", "/", read)), "b.example");
  assertEquals(hostOf(h1Request("[::1]:8443", "/x", read)), "::1");
  assertEquals(urlReads, 0);
  // An HTTP/2 request through Deno's engine: its URL holds :authority, its Host field
  // another name. The router routes by the field, so the gate must name that one.
  assertEquals(
    hostOf({ url: "https://c.example/x", headers: { get: () => "d.example" } }),
    "d.example",
  );
  // Without a Host field (or with an empty one) the URL is the only word, as for the router.
  assertEquals(hostOf({ url: "https://c.example/x", headers: { get: () => null } }), "c.example");
  assertEquals(hostOf({ url: "https://e.example/x", headers: { get: () => "" } }), "e.example");
});

Deno.test("an HTTP/1.1 request's Host field names the same host as its URL", () => {
  const values = [
    "a.example",
    "A.EXAMPLE.",
    "a.example:443",
    "[::1]",
    "[::1]:8443",
    "user@a.example:8443",
    "a.example/more",
    "",
  ];
  const hostOf = routedHostnames();
  for (const value of values) {
    const request = h1Request(value, "/x");
    assertEquals(hostOf(request), requestHostname(request), `Host: ${value}`);
  }
});
