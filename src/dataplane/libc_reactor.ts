/**
 * Readiness of the isolate's libc sockets (`libc_socket.ts`,
 * `libc_listener.ts`): one epoll set per isolate (each worker has its own),
 * every socket registered once, edge-triggered, for reading and writing.
 *
 * Why edge-triggered: a socket whose owner is not reading (a client that
 * sends faster than its backend takes, a parked connection) must not wake
 * the loop again and again, and interest never has to be changed with an
 * `epoll_ctl` per wait. A socket's owner waits only after a call saw the
 * socket empty or full (`EAGAIN`; for a read, also fewer bytes than asked);
 * every byte or buffer space that comes after that call is a new edge,
 * reported in a later batch, so no wake-up is lost. Every report reaches the
 * owner, a call waiting or not (a reading socket notes it, so its next read
 * makes its call). A spurious one (the bytes taken already) finds `EAGAIN`
 * and waits again.
 *
 * Why poll first, then wait off the thread: `epoll_wait` with a zero
 * timeout on this thread costs a system call; the blocking wait runs on a
 * pool thread (a nonblocking FFI call, one promise per batch), a hop there
 * and back costing several times more. Under load the next batch is usually
 * ready once the last one's continuations ran, so each batch is followed by
 * an immediate (`setImmediate`: after the microtasks the batch queued, and
 * after the event loop's timers and other I/O had their turn) that polls;
 * only an empty poll takes the hop.
 *
 * What those cost, measured here (Deno 2.9.6): a turn through
 * `setImmediate` 0.85 us of CPU, through a `MessageChannel` 1.8, through
 * `setTimeout(0)` about 2 ms of waiting (its 1 ms floor); a microtask costs
 * 0.03 but lets neither the runtime's I/O nor its timers run. A hop costs
 * the process 6-9 us (a wait that finds its event at once: 3.5-4.4 on this
 * thread, 2.5-3.4 on the pool thread). Why the wait is not on this thread,
 * not even briefly: while this thread waits, the runtime's own sockets (TLS
 * ports, the admin API, the kube watch), timers and worker messages cannot
 * wake it, their readiness being in the runtime's epoll set, which
 * JavaScript cannot name. A 50 us `epoll_pwait2` here before the hop took
 * the hops from 0.18 to 0.01 a request and 1-2 us of CPU off a request at
 * 36k req/s, and made the admin API's answers under that load 0.2-1 ms
 * slower at the median.
 *
 * No wait stays pending when no socket is registered: the last
 * unregistration wakes the wait through an eventfd, and the loop ends, so
 * tests and shutdown end with nothing outstanding ({@linkcode LibcReactor.idle}).
 *
 * A registration's events carry its generation beside the fd, so events
 * fetched for a closed socket are dropped even when its fd number was
 * reused before they were dispatched. An owner unregisters (EPOLL_CTL_DEL,
 * then the owner entry cleared) before it closes its fd.
 *
 * @example
 * ```ts
 * import { libcReactor } from "./libc_reactor.ts";
 * const reactor = libcReactor();
 * if ("problem" in reactor) console.log(reactor.problem);
 * ```
 * @module
 */
import { setImmediate } from "node:timers";
import {
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLLET,
  epollEventLayout,
  EPOLLIN,
  EPOLLOUT,
  EPOLLRDHUP,
  errnoError,
  type LibcNet,
  libcNet,
  POLLIN,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
} from "./libc_net.ts";
import { underOneReading } from "./monotonic_clock.ts";

/** What owns a registered fd: told the events of each batch that name it. */
export interface ReadinessOwner {
  ready(events: number): void;
}

/** How long {@linkcode LibcReactor.abandon} waits for the pool thread to take its wake-up. */
const ABANDON_WAKE_MS = 200;

/** Events in one batch at most. */
const MAX_EVENTS = 256;

interface Entry {
  owner: ReadinessOwner;
  generation: number;
}

/** The epoll set of this isolate and the loop that dispatches its events. */
export class LibcReactor {
  readonly net: LibcNet;
  readonly #epfd: number;
  readonly #wakeFd: number;
  readonly #wakeBytes = new BigUint64Array([1n]);
  readonly #layout = epollEventLayout(Deno.build.arch);
  readonly #events: Uint32Array;
  readonly #ctl: Uint32Array;
  readonly #owners: (Entry | undefined)[] = [];
  #registered = 0;
  #generation = 0;
  /** A turn or a wait is under way (the loop runs). */
  #running = false;
  /** The off-thread wait is pending. */
  #waiting = false;
  #stopped: PromiseWithResolvers<void> | undefined;
  #abandoned = false;

  constructor(net: LibcNet) {
    this.net = net;
    const { c } = net;
    this.#events = new Uint32Array(MAX_EVENTS * this.#layout.words);
    this.#ctl = new Uint32Array(this.#layout.words);
    this.#epfd = c.epoll_create1(SOCK_CLOEXEC);
    if (this.#epfd < 0) throw errnoError(net.errno(), "Cannot create an epoll set");
    this.#wakeFd = c.eventfd(0, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (this.#wakeFd < 0) throw errnoError(net.errno(), "Cannot create an eventfd");
    this.#ctlAdd(this.#wakeFd, 0, EPOLLIN | EPOLLET);
  }

  /** Sockets registered now. */
  get registered(): number {
    return this.#registered;
  }

  /** Adds `fd`, owned by `owner`, to the set; the loop runs while any fd is registered. */
  register(fd: number, owner: ReadinessOwner): void {
    if (this.#abandoned) throw new Deno.errors.BadResource("The isolate's sockets are closed");
    const generation = this.#generation = (this.#generation + 1) >>> 0;
    this.#ctlAdd(fd, generation, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
    this.#owners[fd] = { owner, generation };
    this.#registered++;
    if (!this.#running) {
      this.#running = true;
      // Not at once: the caller (a socket's constructor) finishes first.
      setImmediate(this.#turn);
    }
  }

  /**
   * Takes `fd` out of the set and closes it: its owner entry is cleared
   * before the number can be reused.
   */
  close(fd: number): void {
    // After abandon() the number may be another isolate's already.
    if (this.#abandoned) return;
    this.unregister(fd);
    this.net.c.close(fd);
  }

  /** Takes `fd` out of the set; call before closing it. */
  unregister(fd: number): void {
    if (this.#owners[fd] === undefined) return;
    this.net.c.epoll_ctl(this.#epfd, EPOLL_CTL_DEL, fd, this.#ctl);
    this.#owners[fd] = undefined;
    if (--this.#registered === 0 && this.#waiting) {
      this.net.c.write(this.#wakeFd, this.#wakeBytes, 8);
    }
  }

  /**
   * Closes every registered fd at once, their owners untold, then the
   * epoll set and the eventfd: for an isolate that is going away (a
   * worker's uncaught error). Deno closes its own sockets with their
   * isolate; these are the process's and would outlive it (a listener
   * sharing a port by `SO_REUSEPORT` would keep taking connections nobody
   * accepts), as would the set, the eventfd and a pool thread blocked in
   * the wait. That wait is ended through the eventfd first, and the two
   * closed once it has taken the wake-up (the set no longer polls
   * readable): closing the eventfd takes it out of the set, and a waiter
   * woken but not yet run would then find nothing and sleep for ever. The
   * wait for that is bounded (`ABANDON_WAKE_MS`): the wait may have ended
   * already, its count not yet delivered to this thread, and then nothing
   * takes the wake-up.
   */
  abandon(): void {
    const { c } = this.net;
    if (this.#abandoned) return;
    this.#abandoned = true;
    for (let fd = 0; fd < this.#owners.length; fd++) {
      if (this.#owners[fd] === undefined) continue;
      c.epoll_ctl(this.#epfd, EPOLL_CTL_DEL, fd, this.#ctl);
      this.#owners[fd] = undefined;
      c.close(fd);
    }
    this.#registered = 0;
    if (this.#waiting) {
      c.write(this.#wakeFd, this.#wakeBytes, 8);
      const pollfd = new Int32Array([this.#epfd, POLLIN]);
      const none = new Int32Array(2);
      for (let ms = 0; ms < ABANDON_WAKE_MS && c.poll(pollfd, 1, 0) > 0; ms++) c.poll(none, 0, 1);
    }
    c.close(this.#epfd);
    c.close(this.#wakeFd);
  }

  /** Resolves once the loop has stopped (no fd registered, no wait pending). */
  idle(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    this.#stopped ??= Promise.withResolvers<void>();
    return this.#stopped.promise;
  }

  #ctlAdd(fd: number, generation: number, events: number): void {
    const ctl = this.#ctl;
    ctl.fill(0);
    ctl[0] = events;
    ctl[this.#layout.dataWord] = fd;
    ctl[this.#layout.dataWord + 1] = generation;
    if (this.net.c.epoll_ctl(this.#epfd, EPOLL_CTL_ADD, fd, ctl) !== 0) {
      throw errnoError(this.net.errno(), "Cannot add a socket to the epoll set");
    }
  }

  /** One turn: a poll on this thread; if it found nothing, the wait off it. */
  readonly #turn = (): void => {
    if (this.#registered === 0) return this.#stop();
    const n = this.net.c.epoll_poll(this.#epfd, this.#events, MAX_EVENTS, 0);
    if (n > 0) {
      setImmediate(this.#turn);
      // The batch and what it queued run under one reading of the clock (`monotonic_clock.ts`),
      // after the next turn was queued, as when the runtime runs what it queued after this callback.
      underOneReading(this.#dispatchBatch, n);
      return;
    }
    this.#waiting = true;
    this.net.c.epoll_wait(this.#epfd, this.#events, MAX_EVENTS, -1).then(this.#waited);
  };

  readonly #dispatchBatch = (n: number): void => this.#dispatch(n);

  readonly #waited = (n: number): void => {
    this.#waiting = false;
    if (this.#abandoned) return this.#stop();
    // n < 0: EINTR in the pool thread (whose errno is not this one's): ask again.
    if (n > 0) this.#dispatch(n);
    setImmediate(this.#turn);
  };

  #stop(): void {
    this.#running = false;
    const stopped = this.#stopped;
    this.#stopped = undefined;
    stopped?.resolve();
  }

  #dispatch(n: number): void {
    const events = this.#events;
    const { words, dataWord } = this.#layout;
    for (let i = 0; i < n; i++) {
      const at = i * words;
      const fd = events[at + dataWord];
      if (fd === this.#wakeFd) {
        this.net.c.read(this.#wakeFd, this.#wakeBytes, 8);
        this.#wakeBytes[0] = 1n;
        continue;
      }
      const entry = this.#owners[fd];
      if (entry === undefined || entry.generation !== events[at + dataWord + 1]) continue;
      try {
        entry.owner.ready(events[at]);
      } catch {
        // An owner's own failure is its own; the other sockets of the batch still get theirs.
      }
    }
  }
}

let reactor: LibcReactor | { problem: string } | undefined;

/** This isolate's reactor (made at the first call), or why libc's sockets cannot be had. */
export function libcReactor(): LibcReactor | { problem: string } {
  if (reactor !== undefined) return reactor;
  const net = libcNet();
  if ("problem" in net) return reactor = net;
  try {
    return reactor = new LibcReactor(net);
  } catch (error) {
    return reactor = { problem: (error as Error).message };
  }
}

/** {@linkcode LibcReactor.abandon} of this isolate's reactor, if it made one. */
export function abandonLibcSockets(): void {
  if (reactor !== undefined && !("problem" in reactor)) reactor.abandon();
}
