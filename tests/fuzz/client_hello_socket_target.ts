/**
 * Fuzz target: the ClientHello fuzzer's inputs (`client_hello_target.ts`)
 * sent over real loopback sockets, in writes of random sizes, to a real TLS
 * port mixing a Terminate listener (`a.example.com`), a Passthrough wildcard
 * (`*.example.com`) and a Passthrough catch-all, whose backends are sinks
 * that record what they read.
 *
 * Oracle, per case: the connection ends once the client has sent its bytes
 * and half-closed (no hang); a hello the scanner parses and a Passthrough
 * route takes reaches its sink byte for byte, the hello and all after it;
 * anything else reaches no sink, and a client whose bytes are no hello gets
 * no byte in reply; the port's connections drop back to none. Every 20
 * cases and at the end a real TLS client completes a handshake with the
 * Terminate listener's certificate, so the port still serves.
 * @module
 */
import { createBackendPicker } from "../../src/dataplane/backend_picker.ts";
import { type PassthroughPort, serveTlsPassthrough } from "../../src/dataplane/tls_passthrough.ts";
import { compilePassthroughRoutes } from "../../src/dataplane/tls_passthrough_routes.ts";
import { scanClientHello } from "../../src/dataplane/tls_client_hello.ts";
import { connectTlsWithServerName } from "../../src/dataplane/tls_server.ts";
import { silentLogger } from "../../src/log/logger.ts";
import type { CertificateConfig, PortConfig } from "../../src/model/config.ts";
import { createTestCa, type TestCa } from "../_helpers/certs.ts";
import { tlsListenerConfig } from "../_helpers/tls_routes.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { bytesLatin1, type Prng } from "./_prng.ts";
import type { CaseFailure, FuzzTarget } from "./_runner.ts";
import { clientHelloInput } from "./client_hello_target.ts";

/** A case still running this long after its bytes were written is a hang. */
const HANG_MS = 30_000;

/** A backend that reads each connection to its end and records the bytes. */
class Sink {
  readonly listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  /** What each connection read, in accept order; `done` once it reached EOF. */
  readonly received: { bytes: number[]; done: boolean }[] = [];
  readonly #accepting = this.#accept();

  get port(): number {
    return (this.listener.addr as Deno.NetAddr).port;
  }

  async #accept(): Promise<void> {
    for await (const conn of this.listener) {
      const record = { bytes: [] as number[], done: false };
      this.received.push(record);
      void (async () => {
        const buffer = new Uint8Array(16384);
        for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
          for (let i = 0; i < n; i++) record.bytes.push(buffer[i]);
        }
      })().catch(() => {}).finally(() => {
        record.done = true;
        try {
          conn.close();
        } catch { /* closed */ }
      });
    }
  }

  async close(): Promise<void> {
    this.listener.close();
    await this.#accepting.catch(() => {});
  }
}

/** Sends `input` in writes of random sizes, half-closes, and reads the reply to its end. */
async function exchange(port: number, input: Uint8Array, rng: Prng): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let replied = 0;
  const reading = (async () => {
    const buffer = new Uint8Array(16384);
    for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) replied += n;
  })().catch(() => {}); // a reset ends it too
  try {
    conn.setNoDelay(true);
    for (let at = 0; at < input.length;) {
      const size = Math.min(input.length - at, rng.pick([1, 7, rng.range(1, 2000), 65536]));
      await conn.write(input.subarray(at, at + size));
      at += size;
    }
    await conn.closeWrite();
  } catch {
    // The port may close while bytes are still on their way (an invalid hello).
  }
  await reading;
  conn.close();
  return replied;
}

/** The port and its world, made once per run. */
interface World {
  ca: TestCa;
  sink: Sink;
  port: PassthroughPort;
  config: PortConfig;
}

async function openWorld(): Promise<World> {
  const ca = await createTestCa();
  const issued = await ca.issue(["a.example.com"]);
  const certificate: CertificateConfig = {
    id: "secret/default/a",
    certPem: issued.certPem,
    keyPem: issued.keyPem,
    dnsNames: ["a.example.com"],
    notAfter: "",
  };
  const sink = new Sink();
  const config: PortConfig = {
    port: 0,
    protocol: "TLS",
    listeners: [
      tlsListenerConfig("a", "a.example.com", "a.example.com", sink.port, certificate.id),
      tlsListenerConfig("wildcard", "*.example.com", "*.example.com", sink.port),
      tlsListenerConfig("any", null, "*", sink.port),
    ],
  };
  const port = serveTlsPassthrough({
    hostname: "127.0.0.1",
    port: 0,
    portConfig: config,
    certificates: [certificate],
    picker: createBackendPicker(),
    logger: silentLogger,
  });
  return { ca, sink, port, config };
}

/**
 * A TLS handshake with the Terminate listener; once it is done, the port
 * dials the sink, so the canary ends when that connection has too.
 */
async function canary(world: World): Promise<string | undefined> {
  const sinksBefore = world.sink.received.length;
  const broken = await handshake(world);
  if (broken !== undefined) return broken;
  await waitFor("the canary's sink connection to end", () => {
    const reached = world.sink.received.slice(sinksBefore);
    return reached.length === 1 && reached[0].done && world.port.connections() === 0;
  });
  return undefined;
}

async function handshake(world: World): Promise<string | undefined> {
  const conn = await connectTlsWithServerName({
    hostname: "127.0.0.1",
    port: world.port.addr.port,
    serverName: "a.example.com",
    caCerts: [world.ca.certPem],
  });
  try {
    await conn.handshake();
    return undefined;
  } catch (error) {
    return `the canary handshake failed: ${(error as Error).message}`;
  } finally {
    conn.close();
  }
}

/** What the cases of a run did. */
interface SocketCounts {
  relayed: number;
  terminated: number;
  closed: number;
}

async function socketCase(world: World, rng: Prng, index: number, counts: SocketCounts) {
  const input = clientHelloInput(rng);
  const fail = (message: string): CaseFailure => ({ input: bytesLatin1(input), message });
  const scan = scanClientHello(input);
  const target = scan.state === "parsed"
    ? compilePassthroughRoutes(world.config).find(scan.serverName)
    : undefined;
  const relayed = target?.host !== undefined && !target.terminate;
  const sinksBefore = world.sink.received.length;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<"hang">((resolve) => timer = setTimeout(() => resolve("hang"), HANG_MS));
  const replied = await Promise.race([exchange(world.port.addr.port, input, rng), hang]);
  clearTimeout(timer);
  if (replied === "hang") return fail(`the connection was still open after ${HANG_MS} ms`);
  await waitFor("the port's connections to end", () => world.port.connections() === 0);
  const reached = world.sink.received.slice(sinksBefore);
  if (relayed) {
    if (reached.length !== 1) return fail(`relayed to ${reached.length} sink connections`);
    await waitFor("the sink to read to its end", () => reached[0].done);
    const got = reached[0].bytes;
    if (got.length !== input.length || got.some((b, i) => b !== input[i])) {
      return fail(`the sink read ${got.length} bytes, not the ${input.length} sent`);
    }
  } else if (reached.length > 0) {
    return fail(`${scan.state === "parsed" ? "terminated" : scan.state} hello reached a sink`);
  }
  if (scan.state !== "parsed" && replied > 0) return fail(`${replied} bytes in reply to no hello`);
  counts[relayed ? "relayed" : target?.terminate ? "terminated" : "closed"]++;
  if (index % 20 === 19) {
    const broken = await canary(world);
    if (broken !== undefined) return fail(broken);
  }
  return undefined;
}

/** The target for {@linkcode runFuzz}. */
export function clientHelloSocketTarget(): FuzzTarget {
  let world: World | undefined;
  let index = 0;
  const counts: SocketCounts = { relayed: 0, terminated: 0, closed: 0 };
  return {
    name: "client-hello-socket",
    async open() {
      world = await openWorld();
    },
    run: (rng) => socketCase(world!, rng, index++, counts),
    summary: () =>
      `${counts.relayed} relayed byte for byte, ${counts.terminated} to the terminator, ` +
      `${counts.closed} closed`,
    async close() {
      if (world === undefined) return;
      const broken = await canary(world);
      await world.port.shutdown();
      await world.sink.close();
      await world.ca[Symbol.asyncDispose]();
      if (broken !== undefined) throw new Error(broken);
    },
  };
}
