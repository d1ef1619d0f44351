/**
 * Fuzz target: the TLS front door's ClientHello reading (`scanClientHello`
 * and `readClientHello`, which the HTTPS front door and the TLS ports run on
 * every connection's first bytes) over random and mutated ClientHellos
 * (`_client_hello_builder.ts`): lengths off by one or anything, huge
 * extensions, odd and repeated server names, fragments down to one byte,
 * truncation, garbage before and after.
 *
 * Oracle, per case: nothing throws; the verdict agrees with the reference
 * reading (`_client_hello_reference.ts`): a server name exactly when it
 * finds one, the same one; every proper prefix of a parsed hello is
 * incomplete and what follows it changes nothing; an incomplete input is
 * within the documented bound; and the reader, fed the same bytes in
 * chunks of a random size (one byte each in a share of cases), reaches the
 * same verdict having read no more than the bound and one chunk. A parsed
 * name then picks a listener of a port mixing Terminate and Passthrough
 * listeners (`_mixed_port.ts`): the Gateway API's, and when it terminates,
 * the certificate of that same listener.
 * @module
 */
import { readClientHello } from "../../src/dataplane/client_hello_reader.ts";
import {
  type ClientHelloScan,
  MAX_CLIENT_HELLO_BYTES,
  scanClientHello,
} from "../../src/dataplane/tls_client_hello.ts";
import { groups, planBytes, randomPlan } from "./_client_hello_builder.ts";
import { referenceServerName } from "./_client_hello_reference.ts";
import { mixedPortFailure } from "./_mixed_port.ts";
import { bytesLatin1, latin1Bytes, type Prng } from "./_prng.ts";
import type { CaseFailure, FuzzTarget } from "./_runner.ts";

/** The most bytes a client may send before a verdict: the hello and its record headers. */
export const READ_BOUND = MAX_CLIENT_HELLO_BYTES + 4096;
/** The reader's read size. */
const READ_CHUNK = 4096;

/** A client connection that delivers `input` in chunks of at most `chunk` bytes, then EOF. */
class ScriptedConn {
  delivered = 0;
  closed = false;
  constructor(readonly input: Uint8Array, readonly chunk: number) {}
  read(p: Uint8Array): Promise<number | null> {
    if (this.closed) return Promise.reject(new Deno.errors.BadResource("closed"));
    if (this.delivered >= this.input.length) return Promise.resolve(null);
    const n = Math.min(p.length, this.chunk, this.input.length - this.delivered);
    p.set(this.input.subarray(this.delivered, this.delivered + n));
    this.delivered += n;
    return Promise.resolve(n);
  }
  close(): void {
    this.closed = true;
  }
}

/** One case's input: a built ClientHello, mutated or not, or other first bytes. */
export function clientHelloInput(rng: Prng): Uint8Array {
  if (rng.chance(0.03)) return Uint8Array.from({ length: rng.int(300) }, () => rng.int(256));
  if (rng.chance(0.02)) return latin1Bytes("GET / HTTP/1.1\r\nHost: a.example.com\r\n\r\n");
  const plan = randomPlan(rng);
  if (rng.chance(0.3)) {
    const group = rng.pick(groups(plan.handshake));
    group.delta = rng.pick([-1, 1, -1, 1, -2, 2, rng.int(0x1000000) - group.width]);
  }
  const recordDelta: [number, number] | undefined = rng.chance(0.1)
    ? [rng.int(plan.recordSizes.length), rng.pick([-1, 1, 16384, -0x10000 + 1])]
    : undefined;
  let bytes = planBytes(plan, recordDelta);
  const edits = rng.chance(0.25) ? rng.range(1, 3) : 0;
  for (let i = 0; i < edits; i++) bytes = edit(bytes, rng);
  return bytes;
}

function edit(bytes: Uint8Array, rng: Prng): Uint8Array {
  const at = rng.int(bytes.length + 1);
  switch (rng.int(4)) {
    case 0: // flip a bit
      if (bytes.length > 0) bytes[Math.min(at, bytes.length - 1)] ^= 1 << rng.int(8);
      return bytes;
    case 1: // cut off
      return bytes.slice(0, at);
    case 2: { // early data or garbage after
      const tail = rng.chance(0.5)
        ? [23, 3, 3, 0, 4, 1, 2, 3, 4]
        : Array.from({ length: rng.int(64) }, () => rng.int(256));
      const out = new Uint8Array(bytes.length + tail.length);
      out.set(bytes);
      out.set(tail, bytes.length);
      return out;
    }
    default: { // a random byte inserted
      const out = new Uint8Array(bytes.length + 1);
      out.set(bytes.subarray(0, at));
      out[at] = rng.int(256);
      out.set(bytes.subarray(at), at + 1);
      return out;
    }
  }
}

function verdict(scan: ClientHelloScan): string {
  return scan.state === "parsed" ? `parsed ${JSON.stringify(scan.serverName)}` : scan.state;
}

/** What the cases of a run got, for the printout. */
export interface ClientHelloCounts {
  parsed: number;
  named: number;
  invalid: number;
  incomplete: number;
}

/** Runs one case on `input`; `undefined` when every check holds. */
export async function clientHelloCase(
  input: Uint8Array,
  rng: Prng,
  counts?: ClientHelloCounts,
): Promise<CaseFailure | undefined> {
  const fail = (message: string): CaseFailure => ({ input: bytesLatin1(input), message });
  const whole = scanClientHello(input);
  const expected = referenceServerName(input);
  if (counts !== undefined) {
    counts[whole.state]++;
    if (whole.state === "parsed" && whole.serverName !== "") counts.named++;
  }
  if (whole.state === "parsed") {
    if (expected !== whole.serverName) {
      return fail(`parsed ${JSON.stringify(whole.serverName)}, the reference reads ${expected}`);
    }
    if (whole.length > input.length) return fail(`parsed length ${whole.length} past the input`);
    const exact = scanClientHello(input.subarray(0, whole.length));
    if (verdict(exact) !== verdict(whole)) {
      return fail(`the hello alone is ${verdict(exact)}, with what follows ${verdict(whole)}`);
    }
    const choice = mixedPortFailure(whole.serverName);
    if (choice !== undefined) return fail(choice);
    const prefixes = whole.length <= 64
      ? Array.from({ length: whole.length }, (_, i) => i)
      : Array.from({ length: 8 }, () => rng.int(whole.length));
    for (const n of prefixes) {
      const prefix = scanClientHello(input.subarray(0, n));
      if (prefix.state !== "incomplete") {
        return fail(`prefix of ${n} bytes is ${verdict(prefix)}, the whole is ${verdict(whole)}`);
      }
    }
  } else if (expected !== undefined) {
    return fail(`${verdict(whole)}, the reference reads ${JSON.stringify(expected)}`);
  }
  if (whole.state === "incomplete" && input.length > READ_BOUND) {
    return fail(`incomplete after ${input.length} bytes, past the bound of ${READ_BOUND}`);
  }
  const chunk = rng.pick([1, rng.range(1, 600), rng.range(1, 600), READ_CHUNK, 65536]);
  const conn = new ScriptedConn(input, chunk);
  const read = await readClientHello(conn as unknown as Deno.Conn, 0);
  const got = read.ok
    ? `parsed ${JSON.stringify(read.serverName)}`
    : read.invalid
    ? "invalid"
    : "incomplete";
  if (got !== verdict(whole)) {
    return fail(
      `read in ${chunk}-byte chunks: ${got} (${read.ok ? "" : read.reason}); whole: ${
        verdict(whole)
      }`,
    );
  }
  if (conn.delivered > READ_BOUND + Math.min(chunk, READ_CHUNK)) {
    return fail(`the reader took ${conn.delivered} bytes before its verdict`);
  }
  if (read.ok && whole.state === "parsed") {
    const same = read.bytes.length >= whole.length && read.bytes.length <= conn.delivered &&
      read.bytes.every((b, i) => b === input[i]);
    if (!same) return fail("the reader's bytes are not the first bytes the client sent");
  }
  return undefined;
}

/** The target for {@linkcode runFuzz}. */
export function clientHelloTarget(): FuzzTarget {
  const counts: ClientHelloCounts = { parsed: 0, named: 0, invalid: 0, incomplete: 0 };
  return {
    name: "client-hello",
    run: (rng) => clientHelloCase(clientHelloInput(rng), rng, counts),
    summary: () =>
      `${counts.parsed} parsed (${counts.named} with a name), ${counts.invalid} invalid, ` +
      `${counts.incomplete} incomplete`,
  };
}
