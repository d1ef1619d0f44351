/**
 * An in-memory upstream for driving the real HTTP/1.1 client without
 * sockets: `Deno.connect` is replaced for the duration of a run by a
 * function that hands out fake connections, each answering the requests it
 * is sent from a script. Reads return the scripted bytes in pieces of
 * random size, so the client's buffering sees every split. A read that finds
 * nothing to return waits; the harness ends such a wait by closing the
 * connection from the upstream's side once nothing else can happen (after a
 * macrotask turn with all microtasks drained), so a case that waits for
 * bytes that never come ends without any clock.
 * @module
 */
import { type SocketsSetting, socketsWhenAbsent } from "../../src/dataplane/libc_sockets.ts";
import { setImmediate } from "node:timers";
import type { Prng } from "./_prng.ts";

/** Decides what an upstream answers: the bytes of a response to request `n` on connection `conn`. */
export type Script = (conn: FakeConn, request: string) => string;

/** One fake upstream connection. */
export class FakeConn {
  /** Request heads seen on this connection, in order. */
  readonly requests: string[] = [];
  /** Bytes that were not a request where one had to start, or a broken chunked body. */
  readonly desyncs: string[] = [];
  readonly id: number;
  #incoming = "";
  #queue: Uint8Array[] = [];
  #eof = false;
  #closed = false;
  #waiting: ((n: number | null) => void) | null = null;
  #waitBuf: Uint8Array | null = null;
  #script: Script;
  #rng: Prng;
  #early: () => boolean;
  #body:
    | { head: string; remaining: number; chunked: boolean; answered: boolean; trailers?: boolean }
    | undefined;

  constructor(id: number, script: Script, rng: Prng, early: () => boolean = () => false) {
    this.id = id;
    this.#script = script;
    this.#rng = rng;
    this.#early = early;
  }

  /** A read is waiting and nothing is queued for it. */
  get starved(): boolean {
    return this.#waiting !== null;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The upstream closes its side: a waiting read sees the end of the stream. */
  endFromUpstream(): void {
    this.#eof = true;
    this.#wake();
  }

  /** Queues bytes for the client (latin-1). */
  send(text: string): void {
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    if (bytes.length > 0) this.#queue.push(bytes);
    this.#wake();
  }

  read(buf: Uint8Array): Promise<number | null> {
    if (this.#closed) return Promise.reject(new Deno.errors.BadResource("Bad resource ID"));
    const n = this.#take(buf);
    if (n !== undefined) return Promise.resolve(n);
    return new Promise((resolve) => {
      this.#waiting = resolve;
      this.#waitBuf = buf;
    });
  }

  write(data: Uint8Array): Promise<number> {
    if (this.#closed || this.#eof) {
      return Promise.reject(new Deno.errors.BrokenPipe("Broken pipe (os error 32)"));
    }
    for (const b of data) this.#incoming += String.fromCharCode(b);
    this.#parseRequests();
    return Promise.resolve(data.length);
  }

  /**
   * Reads whole requests as a strict server frames them (Content-Length or
   * chunked bodies); the answer goes out when the head has arrived (an
   * early answer) or when the body has, as the upstream's `early` says.
   * Bytes that are not a request where one must start are a desync.
   */
  #parseRequests(): void {
    for (;;) {
      if (this.#body === undefined) {
        const end = this.#incoming.indexOf("\r\n\r\n");
        if (end === -1) return;
        const head = this.#incoming.slice(0, end + 4);
        this.#incoming = this.#incoming.slice(end + 4);
        if (!/^[A-Z]+ \/\S* HTTP\/1\.1\r\n/.test(head)) this.desyncs.push(head.slice(0, 80));
        this.requests.push(head);
        const length = /\r\ncontent-length: *(\d+)\r\n/i.exec(head);
        const chunked = /\r\ntransfer-encoding: *chunked\r\n/i.test(head);
        this.#body = { head, remaining: length ? Number(length[1]) : 0, chunked, answered: false };
        if (this.#early()) {
          this.#body.answered = true;
          this.send(this.#script(this, head));
        }
      }
      const body = this.#body;
      if (!this.#consumeBody(body)) return;
      this.#body = undefined;
      if (!body.answered) this.send(this.#script(this, body.head));
    }
  }

  /** Consumes body bytes; `true` when the body is complete. */
  #consumeBody(body: { remaining: number; chunked: boolean; trailers?: boolean }): boolean {
    for (;;) {
      if (body.remaining > 0) {
        const n = Math.min(body.remaining, this.#incoming.length);
        this.#incoming = this.#incoming.slice(n);
        body.remaining -= n;
        if (body.remaining > 0) return false;
        if (body.chunked) body.remaining = -2; // the CRLF after chunk data
      }
      if (!body.chunked) return true;
      const eol = this.#incoming.indexOf("\r\n");
      if (eol === -1) return false;
      const line = this.#incoming.slice(0, eol);
      this.#incoming = this.#incoming.slice(eol + 2);
      if (body.remaining === -2) {
        if (line !== "") this.desyncs.push(`chunk data not followed by CRLF: ${line.slice(0, 40)}`);
        body.remaining = 0;
        continue;
      }
      if (body.trailers) {
        if (line === "") return true;
        continue;
      }
      if (!/^[0-9a-f]+$/i.test(line)) {
        this.desyncs.push(`chunk size ${JSON.stringify(line.slice(0, 40))}`);
        return true;
      }
      body.remaining = parseInt(line, 16);
      if (body.remaining === 0) body.trailers = true;
    }
  }

  close(): void {
    if (this.#closed) throw new Deno.errors.BadResource("Bad resource ID");
    this.#closed = true;
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting?.(null);
  }

  setNoDelay(): void {}
  setKeepAlive(): void {}

  #take(buf: Uint8Array): number | null | undefined {
    if (this.#queue.length > 0) {
      const head = this.#queue[0];
      const n = Math.min(buf.length, head.length, this.#rng.range(1, head.length + 8));
      buf.set(head.subarray(0, n));
      if (n === head.length) this.#queue.shift();
      else this.#queue[0] = head.subarray(n);
      return n;
    }
    return this.#eof ? null : undefined;
  }

  #wake(): void {
    if (this.#waiting === null) return;
    const n = this.#take(this.#waitBuf!);
    if (n === undefined) return;
    const waiting = this.#waiting;
    this.#waiting = this.#waitBuf = null;
    waiting(n);
  }
}

/** A replacement for `Deno.connect` that hands out fake connections. */
export class FakeUpstream {
  readonly conns: FakeConn[] = [];
  script: Script = () => "";
  /** Answer a request as soon as its head arrives, before its body. */
  early = false;
  /** Splits reads; set per case so a case replays alone. */
  rng: Prng;
  #original: typeof Deno.connect | undefined;
  #sockets: SocketsSetting | undefined;

  constructor(rng: Prng) {
    this.rng = rng;
  }

  /**
   * Replaces `Deno.connect` until {@linkcode FakeUpstream.uninstall}; clients
   * made meanwhile connect through it (on Deno's sockets, not libc's).
   */
  install(): void {
    this.#original = Deno.connect;
    this.#sockets = socketsWhenAbsent("deno");
    (Deno as { connect: unknown }).connect = () => {
      const conn = new FakeConn(
        this.conns.length,
        (c, r) => this.script(c, r),
        this.rng,
        () => this.early,
      );
      this.conns.push(conn);
      return Promise.resolve(conn);
    };
  }

  uninstall(): void {
    if (this.#original !== undefined) (Deno as { connect: unknown }).connect = this.#original;
    this.#original = undefined;
    if (this.#sockets !== undefined) socketsWhenAbsent(this.#sockets);
    this.#sockets = undefined;
  }

  /**
   * Awaits `work`; whenever it waits on a connection read that nothing will
   * ever answer, that connection is closed from the upstream side.
   */
  async settle<T>(work: Promise<T>): Promise<T> {
    let finished = false;
    const done = work.finally(() => finished = true);
    done.catch(() => {});
    while (!finished) {
      await new Promise((resolve) => setImmediate(resolve));
      if (finished) break;
      const starved = this.conns.filter((c) => c.starved && !c.closed);
      // Every microtask has run and no read waits on the upstream: the client waits on itself.
      if (starved.length === 0) {
        throw new Error("Case stalled with no read waiting on the upstream");
      }
      for (const c of starved) c.endFromUpstream();
    }
    return await done;
  }
}
