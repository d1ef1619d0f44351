/**
 * HPACK cost over named header blocks of a gRPC call: the request as the
 * first on a connection (literals and Huffman strings, a fresh dynamic
 * table) and as a later one (mostly indexed), and the response headers and
 * trailers. Each block's size is in its name; bytes per second is that size
 * over the time per block.
 *
 *   deno bench bench/hpack_bench.ts
 */
import { HpackDecoder, HpackEncoder } from "../src/dataplane/h2/hpack.ts";

type Field = [string, string];

const REQUEST: Field[] = [
  [":method", "POST"],
  [":scheme", "http"],
  [":path", "/grpc.testing.TestService/UnaryCall"],
  [":authority", "grpc-server.example.com:50051"],
  ["content-type", "application/grpc"],
  ["te", "trailers"],
  ["grpc-accept-encoding", "identity,deflate,gzip"],
  ["user-agent", "grpc-go/1.70.0"],
  ["grpc-timeout", "4999877u"],
  ["x-tenant", "acme-production"],
];
const RESPONSE: Field[] = [
  [":status", "200"],
  ["content-type", "application/grpc"],
  ["grpc-accept-encoding", "identity,deflate,gzip"],
];
const TRAILERS: Field[] = [["grpc-status", "0"], ["grpc-message", ""]];

const encoder = new HpackEncoder();
const FIRST = encoder.encode(REQUEST);
const LATER = encoder.encode(REQUEST);

/** A decoder whose table holds what the first request added, as on a live connection. */
const warm = new HpackDecoder();
warm.decode(FIRST);

Deno.bench(`decode gRPC request, first on a connection (${FIRST.length} B)`, {
  group: "decode",
  baseline: true,
}, () => {
  new HpackDecoder().decode(FIRST);
});

Deno.bench(`decode gRPC request, later on a connection (${LATER.length} B)`, {
  group: "decode",
}, () => {
  warm.decode(LATER);
});

Deno.bench(`encode gRPC request, first on a connection (${FIRST.length} B)`, {
  group: "encode",
  baseline: true,
}, () => {
  new HpackEncoder().encode(REQUEST);
});

const steady = new HpackEncoder();
steady.encode(REQUEST);
Deno.bench(`encode gRPC request, later on a connection (${LATER.length} B)`, {
  group: "encode",
}, () => {
  steady.encode(REQUEST);
});

const responder = new HpackEncoder();
responder.encode(RESPONSE);
Deno.bench("encode gRPC response headers and trailers, later on a connection", {
  group: "encode",
}, () => {
  responder.encode(RESPONSE);
  responder.encode(TRAILERS);
});
