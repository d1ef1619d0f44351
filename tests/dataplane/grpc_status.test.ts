import { assertEquals } from "@std/assert";
import {
  encodeGrpcMessage,
  grpcCodeForHttpStatus,
  isGrpcContentType,
  withGrpcStatuses,
  withoutGrpc,
} from "../../src/dataplane/grpc_status.ts";
import { createDataPlaneHandlers } from "../../src/dataplane/handler.ts";
import { HeadFields } from "../../src/dataplane/head_fields.ts";
import { exchangeUntilClose, startH1 } from "./h1/_h1_harness.ts";
import { grpcPortKind, h2Reporting, isGrpcOnlyPort } from "../../src/dataplane/grpc_port.ts";
import { NOOP_OBSERVER } from "../../src/dataplane/observer.ts";
import { silentLogger } from "../../src/log/logger.ts";
import type { PortConfig } from "../../src/model/config.ts";

const grpcRequest = () =>
  new Request("http://grpc.example.com/echo.Echo/Say", {
    method: "POST",
    headers: { "content-type": "application/grpc+proto" },
  });

Deno.test("gRPC content types are application/grpc and its +suffix and ;parameter forms", () => {
  assertEquals(
    ["application/grpc", "application/grpc+proto", "Application/GRPC;x=1"].map(isGrpcContentType),
    [true, true, true],
  );
  assertEquals(
    ["application/grpc-web", "application/json", null].map(isGrpcContentType),
    [false, false, false],
  );
});

Deno.test("the gateway's own answers map to the gRPC codes clients expect", () => {
  assertEquals(
    [404, 500, 502, 503, 504, 400, 401, 403, 429, 418].map(grpcCodeForHttpStatus),
    [12, 14, 14, 14, 4, 13, 16, 7, 14, 2],
  );
});

Deno.test("grpc-message percent-encodes non-printable bytes and the percent sign", () => {
  assertEquals(encodeGrpcMessage("502 100% é\n"), "502 100%25 %C3%A9%0A");
});

Deno.test("a gRPC call answered 404 by the gateway becomes Trailers-Only UNIMPLEMENTED", async () => {
  const handler = withGrpcStatuses(() =>
    Promise.resolve(new Response("No route\n", { status: 404 }))
  );
  const res = await handler(grpcRequest(), {});
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-type"), "application/grpc");
  assertEquals(res.headers.get("grpc-status"), "12");
  assertEquals(res.headers.get("grpc-message"), "404 No route");
  assertEquals(res.body, null);
});

Deno.test("a backend's gRPC answer and non-gRPC requests pass through untouched", async () => {
  const backend = new Response("x", {
    status: 200,
    headers: { "content-type": "application/grpc", "grpc-status": "0" },
  });
  assertEquals(await withGrpcStatuses(() => Promise.resolve(backend))(grpcRequest(), {}), backend);
  const plain = new Response("nope", { status: 404 });
  const res = await withGrpcStatuses(() => Promise.resolve(plain))(
    new Request("http://example.com/"),
    {},
  );
  assertEquals(res, plain);
});

Deno.test("our HTTP/1.1 server: a request typed gRPC in any spelling gets a gRPC status, one without a type the plain answer", async () => {
  // As listeners.ts wires a port: the fast path declines gRPC, the Request path maps its answers.
  const handlers = createDataPlaneHandlers({ getTable: () => undefined, port: 80, scheme: "http" });
  let fast = 0;
  await using server = startH1(withGrpcStatuses(handlers.handle), {
    fields: (req, info) => {
      const answer = withoutGrpc(handlers.fields)(req, info);
      if (answer !== undefined) fast++;
      return answer;
    },
  });
  const ask = (fields: string) =>
    exchangeUntilClose(
      server.port,
      `GET /echo.Echo/Say HTTP/1.1\r\nHost: a.example\r\n${fields}Connection: close\r\n\r\n`,
    );
  for (const type of ["Content-Type: application/grpc", "CONTENT-TYPE:Application/GRPC+proto"]) {
    const raw = await ask(`User-Agent: t\r\n${type}\r\n`);
    assertEquals(raw.split("\r\n")[0], "HTTP/1.1 200 OK", type);
    assertEquals(/grpc-status: (\d+)/.exec(raw)?.[1], "14", type);
    assertEquals(/grpc-message: (.*)\r\n/.exec(raw)?.[1], "503 No configuration is loaded yet");
  }
  assertEquals(fast, 0);
  const plain = await ask("User-Agent: t\r\nContent-Type: text/plain\r\n");
  assertEquals(plain.split("\r\n")[0], "HTTP/1.1 503 Service Unavailable");
  assertEquals(plain.includes("grpc-status"), false);
  const untyped = await ask("User-Agent: t\r\n");
  assertEquals(untyped.split("\r\n")[0], "HTTP/1.1 503 Service Unavailable");
  assertEquals(fast, 2);
});

Deno.test("head fields may be typed with a Content-Type field, or an unnamed one of its length", () => {
  const bytes = new TextEncoder().encode("User-Agent: t\r\nContent-Type: x");
  const named = new HeadFields(bytes);
  named.add(0, 10, 12, 13, "user-agent");
  assertEquals(named.mayBeTyped, false);
  named.add(15, 27, 29, 30, "content-type");
  assertEquals([named.mayBeTyped, named.get("content-type")], [true, "x"]);
  // A field built without its known name is still looked up by its bytes.
  const unnamed = new HeadFields(bytes);
  unnamed.add(15, 27, 29, 30, null);
  assertEquals([unnamed.mayBeTyped, unnamed.get("content-type")], [true, "x"]);
});

function port(rules: string[]): PortConfig {
  return {
    port: 80,
    protocol: "HTTP",
    listeners: [{
      id: "l",
      ids: ["l"],
      hostname: null,
      port: 80,
      protocol: "HTTP",
      virtualHosts: [{
        hostname: "*",
        matches: rules.map((rule, i) => ({
          id: `${rule}/match/${i}`,
          rule,
          route: "ns/r",
          path: { type: "PathPrefix" as const, value: "/" },
          headers: [],
          queryParams: [],
        })),
      }],
    }],
  } as unknown as PortConfig;
}

Deno.test("a port is gRPC-only when it has matches and every one is a GRPCRoute's", () => {
  assertEquals(isGrpcOnlyPort(port(["grpcroute/ns/r/rule/0", "grpcroute/ns/r/rule/1"])), true);
  assertEquals(isGrpcOnlyPort(port(["grpcroute/ns/r/rule/0", "httproute/ns/w/rule/0"])), false);
  assertEquals(isGrpcOnlyPort(port([])), false);
});

Deno.test("a port with GRPCRoutes beside other routes is mixed; one without any is none", () => {
  assertEquals(grpcPortKind(port(["grpcroute/ns/r/rule/0"])), "only");
  assertEquals(grpcPortKind(port(["httproute/ns/w/rule/0", "grpcroute/ns/r/rule/0"])), "mixed");
  assertEquals(grpcPortKind(port(["httproute/ns/w/rule/0"])), "none");
  assertEquals(grpcPortKind(port([])), "none");
});

Deno.test("HTTP/2 connection errors are counted by their code's name; unknown codes are not", () => {
  const seen: string[] = [];
  const observer = {
    ...NOOP_OBSERVER,
    onClientEvent: (family: string, reason: string) => void seen.push(`${family} ${reason}`),
  };
  const reporting = h2Reporting(silentLogger, observer);
  reporting.onConnectionError!(0xb, "too many PING frames");
  reporting.onConnectionError!(0x1, "DATA on an idle stream");
  reporting.onConnectionError!(0x42, "not a code");
  assertEquals(seen, [
    "h2_connection_error enhance_your_calm",
    "h2_connection_error protocol_error",
  ]);
});
