/**
 * The raw proxy of `bench/_raw_proxy.ts` with the runtime's sockets taken
 * out: the same HTTP/1.1 handling (the same head parsing and building, the
 * same forwarded headers, one pool of kept-alive upstream connections taken
 * by each request), but on libc's sockets through `Deno.dlopen`, so what is
 * left is V8, the JavaScript and the event loop. Sockets are nonblocking;
 * socket, accept4, connect, recv and send are synchronous FFI calls (V8 fast
 * calls: every parameter and result is an i32, a u32 or a buffer), and
 * readiness comes from one level-triggered epoll set whose `epoll_wait` runs
 * off the JavaScript thread (`nonblocking: true`): one promise per batch of
 * ready descriptors where the runtime's sockets settle one per read and per
 * write. An eventfd in the set ends the wait on SIGTERM.
 *
 * Two flags take out more, one thing each: `--poll-first` asks
 * `epoll_wait` with a zero timeout on the JavaScript thread before each
 * batch and takes the promise (a hop to a pool thread and back) only when
 * nothing is ready; `--bytes` builds the same heads from the bytes as they
 * are (a loop over the buffer, no strings, no TextDecoder/TextEncoder,
 * one scratch buffer) in place of the raw proxy's string handling.
 *
 * Linux on x86_64 and glibc only; a yardstick, never something to serve
 * with (no limits, no timeouts, bodyless requests and Content-Length
 * responses only).
 *
 * ```sh
 * deno run --allow-net --allow-ffi bench/_ffi_proxy.ts --port 8081 --backend-port 8082 [--poll-first] [--bytes]
 * ```
 * @module
 */
import { requiredIntFlag } from "./_flags.ts";
import { clientResponseHead, forwardedRequestHead } from "./_raw_heads.ts";
import {
  AF_INET,
  EAGAIN,
  EINPROGRESS,
  EPOLL_CTL_ADD,
  EPOLLIN,
  EPOLLOUT,
  IPPROTO_TCP,
  libcNet,
  MSG_NOSIGNAL,
  SO_REUSEADDR,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOL_SOCKET,
  TCP_NODELAY,
} from "../src/dataplane/libc_net.ts";

const flag = (name: string) => requiredIntFlag(name, "the FFI proxy");

if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") {
  throw new Error(`Cannot start the FFI proxy: not on Linux x86_64 (${Deno.build.target})`);
}
const port = flag("port");
const backendPort = flag("backend-port");
const pollFirst = Deno.args.includes("--poll-first");
const bytesMode = Deno.args.includes("--bytes");
const encoder = new TextEncoder();
const decoder = new TextDecoder("latin1");

// The gateway's own libc bindings (`src/dataplane/libc_net.ts`: V8 fast
// calls, lengths as u32 on x86_64, errno copied out by libc itself).
const net = libcNet();
if ("problem" in net) throw new Error(`Cannot start the FFI proxy: ${net.problem}`);
const { c, errno } = net;
const EPOLL_CTL_MOD = 3;
const MAX_EVENTS = 256;

function check(result: number, what: string): number {
  if (result < 0) throw new Error(`Cannot ${what}: errno ${errno()}`);
  return result;
}

/** A `struct sockaddr_in` for 127.0.0.1:`port`. */
function loopback(port: number): Uint8Array {
  const addr = new Uint8Array(16);
  const view = new DataView(addr.buffer);
  view.setUint16(0, AF_INET, true);
  view.setUint16(2, port, false);
  addr.set([127, 0, 0, 1], 4);
  return addr;
}

const one = new Int32Array([1]);
function socket(): number {
  return check(c.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), "socket");
}
function noDelay(fd: number): void {
  check(c.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, one, 4), "set TCP_NODELAY");
}

// One epoll_event is packed on x86_64: u32 events, then u64 data (the fd in its low half).
const events = new Uint32Array(MAX_EVENTS * 3);
const ctlEvent = new Uint32Array(3);
const epfd = check(c.epoll_create1(SOCK_CLOEXEC), "epoll_create1");
function watch(op: number, fd: number, mask: number): void {
  ctlEvent[0] = mask;
  ctlEvent[1] = fd;
  check(c.epoll_ctl(epfd, op, fd, ctlEvent), "epoll_ctl");
}

interface Client {
  kind: "client";
  fd: number;
  buf: Uint8Array;
  end: number;
  remote: string;
  remoteBytes: Uint8Array;
  /** The request head's length while its exchange is under way, else -1. */
  headEnd: number;
  up: Upstream | null;
  /** Response bytes the socket did not take yet. */
  out: Uint8Array | null;
}

interface Upstream {
  kind: "upstream";
  fd: number;
  buf: Uint8Array;
  end: number;
  client: Client | null;
  /** Request bytes not sent yet (the connect is under way, or the socket was full). */
  out: Uint8Array | null;
  connecting: boolean;
}

const owners: (Client | Upstream | undefined)[] = [];
const idle: Upstream[] = [];
const backendAddr = loopback(backendPort);

function upstream(): Upstream {
  const kept = idle.pop();
  if (kept !== undefined) return kept;
  const fd = socket();
  noDelay(fd);
  const up: Upstream = {
    kind: "upstream",
    fd,
    buf: new Uint8Array(64 * 1024),
    end: 0,
    client: null,
    out: null,
    connecting: false,
  };
  owners[fd] = up;
  if (c.connect(fd, backendAddr, 16) !== 0) {
    if (errno() !== EINPROGRESS) throw new Error(`Cannot connect upstream: errno ${errno()}`);
    up.connecting = true;
  }
  watch(EPOLL_CTL_ADD, fd, up.connecting ? EPOLLIN | EPOLLOUT : EPOLLIN);
  return up;
}

/**
 * Sends what it can of `bytes` on a nonblocking socket; the rest, or null.
 * -1 is a socket that is gone.
 */
function sendSome(fd: number, bytes: Uint8Array): Uint8Array | null | -1 {
  const n = c.send(fd, bytes, bytes.length, MSG_NOSIGNAL);
  if (n === bytes.length) return null;
  if (n > bytes.length) throw new Error(`send took ${n} of ${bytes.length} bytes`);
  // A copy: the bytes may be the scratch buffer the next head is written into.
  if (n < 0) return errno() === EAGAIN ? bytes.slice() : -1;
  return bytes.slice(n);
}

function closeFd(fd: number): void {
  owners[fd] = undefined;
  c.close(fd);
}

function dropClient(client: Client): void {
  closeFd(client.fd);
  // Its upstream's answer may still be coming: that connection cannot be reused.
  if (client.up !== null) closeFd(client.up.fd);
  client.up = null;
}

function dropUpstream(up: Upstream): void {
  closeFd(up.fd);
  const at = idle.indexOf(up);
  if (at !== -1) idle.splice(at, 1);
  if (up.client !== null) {
    up.client.up = null;
    dropClient(up.client);
  }
}

/**
 * The head to send upstream for the request whose head `client.buf` holds,
 * its length in `client.headEnd`; null while the head is incomplete.
 */
function requestHeadText(client: Client): Uint8Array | null {
  const text = decoder.decode(client.buf.subarray(0, client.end));
  const at = text.indexOf("\r\n\r\n");
  if (at === -1) return null;
  const headEnd = at + 4;
  client.headEnd = headEnd;
  const head = decoder.decode(client.buf.subarray(0, headEnd));
  return encoder.encode(forwardedRequestHead(head, client.remote, "http"));
}

const requestHead = bytesMode ? requestHeadBytes : requestHeadText;

/** Starts the exchange of the request whose head `client.buf` holds, if it holds one. */
function startRequest(client: Client): void {
  const bytes = requestHead(client);
  if (bytes === null) {
    if (client.end === client.buf.length) dropClient(client);
    return;
  }
  const up = upstream();
  up.client = client;
  client.up = up;
  if (up.connecting) {
    up.out = bytes.slice();
    return;
  }
  const rest = sendSome(up.fd, bytes);
  if (rest === -1) return dropUpstream(up);
  if (rest !== null) {
    up.out = rest;
    watch(EPOLL_CTL_MOD, up.fd, EPOLLIN | EPOLLOUT);
  }
}

function onClientReadable(client: Client): void {
  const room = client.buf.length - client.end;
  if (room === 0) return dropClient(client);
  const n = c.recv(client.fd, client.buf.subarray(client.end), room, 0);
  if (n > room) throw new Error(`recv gave ${n} bytes for ${room} asked`);
  if (n <= 0) {
    if (n < 0 && errno() === EAGAIN) return;
    return dropClient(client);
  }
  client.end += n;
  if (client.headEnd === -1 && client.out === null) startRequest(client);
}

/** The response bytes for the client once `up.buf` holds a whole response, else null. */
function responseText(up: Upstream): Uint8Array | null {
  const text = decoder.decode(up.buf.subarray(0, up.end));
  const at = text.indexOf("\r\n\r\n");
  if (at === -1) return null;
  const headEnd = at + 4;
  const { head: resHead, length } = clientResponseHead(
    decoder.decode(up.buf.subarray(0, headEnd)),
  );
  if (up.end < headEnd + length) return null;
  const headBytes = encoder.encode(resHead);
  const res = new Uint8Array(headBytes.length + length);
  res.set(headBytes);
  res.set(up.buf.subarray(headEnd, headEnd + length), headBytes.length);
  return res;
}

function onUpstreamReadable(up: Upstream): void {
  const room = up.buf.length - up.end;
  const n = room === 0 ? 0 : c.recv(up.fd, up.buf.subarray(up.end), room, 0);
  if (n > room) throw new Error(`recv gave ${n} bytes for ${room} asked`);
  if (n <= 0) {
    if (n < 0 && errno() === EAGAIN) return;
    return dropUpstream(up);
  }
  up.end += n;
  const client = up.client;
  // Bytes from an idle connection: nothing asked for them.
  if (client === null) return dropUpstream(up);
  const res = bytesMode ? responseBytes(up) : responseText(up);
  if (res === null) return;
  up.end = 0;
  up.client = null;
  client.up = null;
  idle.push(up);
  const rest = sendSome(client.fd, res);
  if (rest === -1) return dropClient(client);
  finishRequest(client, rest);
}

/** After the response was handed to the socket (`rest` of it still to go): the next request. */
function finishRequest(client: Client, rest: Uint8Array | null): void {
  if (rest !== null) {
    client.out = rest;
    watch(EPOLL_CTL_MOD, client.fd, EPOLLIN | EPOLLOUT);
    return;
  }
  client.buf.copyWithin(0, client.headEnd, client.end);
  client.end -= client.headEnd;
  client.headEnd = -1;
  if (client.end > 0) startRequest(client);
}

function onWritable(owner: Client | Upstream): void {
  if (owner.kind === "upstream" && owner.connecting) owner.connecting = false;
  if (owner.out === null) return watch(EPOLL_CTL_MOD, owner.fd, EPOLLIN);
  const rest = sendSome(owner.fd, owner.out);
  if (rest === -1) return owner.kind === "client" ? dropClient(owner) : dropUpstream(owner);
  owner.out = rest;
  if (rest !== null) return;
  watch(EPOLL_CTL_MOD, owner.fd, EPOLLIN);
  if (owner.kind === "client") finishRequest(owner, null);
}

// --bytes: the heads of requestHeadText and responseText, built from the bytes.
const CR = 13;
const LF = 10;
const scratch = new Uint8Array(64 * 1024);
const ascii = (text: string) => encoder.encode(text);
const HOST = ascii("host");
const CONNECTION = ascii("connection");
const CONTENT_LENGTH = ascii("content-length");
const KEEP_ALIVE = ascii("keep-alive");
const FORWARDED_FOR = ascii("\r\nx-forwarded-for: ");
const FORWARDED_PROTO_HOST = ascii("\r\nx-forwarded-proto: http\r\nx-forwarded-host: ");
const CRLF2 = ascii("\r\n\r\n");

/**
 * The index of `byte` in `buf[from, end)`, or `end`. A loop V8 compiles:
 * a typed array's `indexOf` is a call into the runtime's C++ (~400
 * instructions a call here).
 */
function find(buf: Uint8Array, byte: number, from: number, end: number): number {
  while (from < end && buf[from] !== byte) from++;
  return from;
}

/** The index past the blank line that ends a head in `buf[0, end)`, or -1. */
function headLength(buf: Uint8Array, end: number): number {
  for (let at = find(buf, LF, 3, end); at < end; at = find(buf, LF, at + 1, end)) {
    if (buf[at - 1] === CR && buf[at - 2] === LF && buf[at - 3] === CR) return at + 1;
  }
  return -1;
}

/** Whether `buf[from, to)` is `name`, whose letters are lower case, in any case. */
function nameIs(buf: Uint8Array, from: number, to: number, name: Uint8Array): boolean {
  if (to - from !== name.length) return false;
  for (let i = 0; i < name.length; i++) if ((buf[from + i] | 0x20) !== name[i]) return false;
  return true;
}

function put(src: Uint8Array, from: number, to: number, at: number): number {
  for (let i = from; i < to; i++) scratch[at++] = src[i];
  return at;
}

const isSpace = (byte: number) => byte === 32 || byte === 9;

/** {@linkcode requestHeadText} on bytes; the head is in `scratch`. */
function requestHeadBytes(client: Client): Uint8Array | null {
  const buf = client.buf;
  const headEnd = headLength(buf, client.end);
  if (headEnd === -1) return null;
  client.headEnd = headEnd;
  let line = find(buf, LF, 0, headEnd) + 1;
  let at = put(buf, 0, line, 0);
  let hostFrom = 0;
  let hostTo = 0;
  while (line < headEnd - 2) {
    const next = find(buf, LF, line, headEnd) + 1;
    const colon = find(buf, 58, line, next);
    if (nameIs(buf, line, colon, HOST)) {
      hostFrom = colon + 1;
      hostTo = next - 2;
      while (hostFrom < hostTo && isSpace(buf[hostFrom])) hostFrom++;
      while (hostTo > hostFrom && isSpace(buf[hostTo - 1])) hostTo--;
    } else if (!nameIs(buf, line, colon, CONNECTION)) at = put(buf, line, next, at);
    line = next;
  }
  at = put(HOST, 0, 4, at);
  scratch[at++] = 58;
  scratch[at++] = 32;
  at = put(buf, hostFrom, hostTo, at);
  at = put(FORWARDED_FOR, 0, FORWARDED_FOR.length, at);
  at = put(client.remoteBytes, 0, client.remoteBytes.length, at);
  at = put(FORWARDED_PROTO_HOST, 0, FORWARDED_PROTO_HOST.length, at);
  at = put(buf, hostFrom, hostTo, at);
  at = put(CRLF2, 0, 4, at);
  return scratch.subarray(0, at);
}

/** {@linkcode responseText} on bytes; the response is in `scratch`. */
function responseBytes(up: Upstream): Uint8Array | null {
  const buf = up.buf;
  const headEnd = headLength(buf, up.end);
  if (headEnd === -1) return null;
  let line = find(buf, LF, 0, headEnd) + 1;
  let at = put(buf, 0, line, 0);
  let length = 0;
  while (line < headEnd - 2) {
    const next = find(buf, LF, line, headEnd) + 1;
    const colon = find(buf, 58, line, next);
    if (nameIs(buf, line, colon, CONTENT_LENGTH)) {
      for (let i = colon + 1; i < next - 2; i++) {
        if (buf[i] >= 48 && buf[i] <= 57) length = length * 10 + buf[i] - 48;
      }
    }
    if (!nameIs(buf, line, colon, CONNECTION) && !nameIs(buf, line, colon, KEEP_ALIVE)) {
      at = put(buf, line, next, at);
    }
    line = next;
  }
  if (up.end < headEnd + length) return null;
  scratch[at++] = CR;
  scratch[at++] = LF;
  at = put(buf, headEnd, headEnd + length, at);
  return scratch.subarray(0, at);
}

const listenFd = socket();
check(c.setsockopt(listenFd, SOL_SOCKET, SO_REUSEADDR, one, 4), "set SO_REUSEADDR");
check(c.bind(listenFd, loopback(port), 16), `bind 127.0.0.1:${port}`);
check(c.listen(listenFd, 511), "listen");
watch(EPOLL_CTL_ADD, listenFd, EPOLLIN);

const peer = new Uint8Array(16);
const peerLength = new Uint32Array(1);
function onAcceptable(): void {
  for (;;) {
    peerLength[0] = 16;
    const fd = c.accept4(listenFd, peer, peerLength, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno() === EAGAIN) return;
      throw new Error(`Cannot accept: errno ${errno()}`);
    }
    noDelay(fd);
    const remote = `${peer[4]}.${peer[5]}.${peer[6]}.${peer[7]}`;
    owners[fd] = {
      kind: "client",
      fd,
      buf: new Uint8Array(16 * 1024),
      end: 0,
      remote,
      remoteBytes: encoder.encode(remote),
      headEnd: -1,
      up: null,
      out: null,
    };
    watch(EPOLL_CTL_ADD, fd, EPOLLIN);
  }
}

const wakeFd = check(c.eventfd(0, SOCK_NONBLOCK | SOCK_CLOEXEC), "eventfd");
watch(EPOLL_CTL_ADD, wakeFd, EPOLLIN);
// Exit on SIGTERM, so a `--cpu-prof` profile is written: the eventfd ends the pending wait.
Deno.addSignalListener("SIGTERM", () => {
  c.write(wakeFd, new BigUint64Array([1n]), 8);
});

function dispatch(fd: number, mask: number): boolean {
  if (fd === listenFd) onAcceptable();
  else if (fd === wakeFd) return false;
  else {
    const owner = owners[fd];
    if (owner === undefined) return true;
    // Errors and hang-ups come with EPOLLIN here: the recv sees them.
    if (mask & ~EPOLLOUT) {
      if (owner.kind === "client") onClientReadable(owner);
      else onUpstreamReadable(owner);
    }
    if (mask & EPOLLOUT && owners[fd] === owner) onWritable(owner);
  }
  return true;
}

for (;;) {
  let ready = pollFirst ? c.epoll_poll(epfd, events, MAX_EVENTS, 0) : 0;
  if (ready <= 0) ready = await c.epoll_wait(epfd, events, MAX_EVENTS, -1);
  // EINTR (a signal landing in the waiting thread, whose errno is not this one's): ask again.
  if (ready < 0) continue;
  let running = true;
  for (let i = 0; i < ready; i++) running = dispatch(events[3 * i + 1], events[3 * i]) && running;
  if (!running) break;
}
Deno.exit(0);
