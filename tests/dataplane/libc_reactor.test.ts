/**
 * The isolate's epoll set (`libc_reactor.ts`): `struct epoll_event`'s
 * layout by architecture, events of a closed fd never reaching the owner
 * of the same number registered after it, and no wait left pending once
 * nothing is registered. Readiness comes from eventfds written by the test.
 */
import { assert, assertEquals } from "@std/assert";
import { LibcReactor, libcReactor } from "../../src/dataplane/libc_reactor.ts";
import {
  epollEventLayout,
  EPOLLIN,
  errnoError,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
} from "../../src/dataplane/libc_net.ts";
import { epollWatched, openDescriptors } from "../_helpers/proc_fds.ts";

const reactor = libcReactor();
const skip = "problem" in reactor;

Deno.test("epoll_event is packed on x86_64 (12 bytes, data at byte 4) and 16 bytes on aarch64 (data at byte 8)", () => {
  assertEquals(epollEventLayout("x86_64"), { words: 3, dataWord: 1 });
  assertEquals(epollEventLayout("aarch64"), { words: 4, dataWord: 2 });
});

Deno.test("errno becomes Deno's error class, code and (os error N) message", () => {
  const refused = errnoError(111);
  assert(refused instanceof Deno.errors.ConnectionRefused);
  assertEquals(refused.message, "Connection refused (os error 111)");
  assertEquals((refused as Error & { code?: string }).code, "ECONNREFUSED");
  assert(errnoError(104) instanceof Deno.errors.ConnectionReset);
  assert(errnoError(32) instanceof Deno.errors.BrokenPipe);
  assert(errnoError(98, "Cannot bind") instanceof Deno.errors.AddrInUse);
  assertEquals(
    errnoError(24, "Cannot accept").message,
    "Cannot accept: Too many open files (os error 24)",
  );
});

Deno.test({
  name:
    "an event fetched for a closed fd is dropped when its number was registered again in the same batch",
  ignore: skip,
  fn: async () => {
    if ("problem" in reactor) return;
    const { c } = reactor.net;
    const eventfd = () => c.eventfd(0, SOCK_NONBLOCK | SOCK_CLOEXEC);
    const one = new BigUint64Array([1n]);
    const old = eventfd();
    const trigger = eventfd();
    let reused = -1;
    const lateOwner: number[] = [];
    let oldOwner = 0;
    const done = Promise.withResolvers<void>();
    // An eventfd is writable at once: each is on the ready list from its registration, in that order.
    reactor.register(trigger, {
      ready: () => {
        // In the batch, before the old fd's own event: closed, and its number taken again.
        reactor.unregister(old);
        c.close(old);
        reused = eventfd();
        reactor.register(reused, { ready: (events) => lateOwner.push(events) });
        reactor.unregister(trigger);
        c.close(trigger);
        done.resolve();
      },
    });
    reactor.register(old, { ready: () => oldOwner++ });
    // Both ready before the loop's first poll: one batch, the trigger's event first.
    await done.promise;
    assertEquals(reused, old, "the kernel gave the closed fd's number to the next eventfd");
    assertEquals(oldOwner, 0);
    assertEquals(lateOwner, []);
    // The new owner still hears its own events.
    const heard = Promise.withResolvers<void>();
    reactor.unregister(reused);
    reactor.register(reused, { ready: (events) => events & EPOLLIN && heard.resolve() });
    c.write(reused, one, 8);
    await heard.promise;
    reactor.unregister(reused);
    c.close(reused);
    await reactor.idle();
    assertEquals(reactor.registered, 0);
  },
});

Deno.test({
  name: "the loop stops once nothing is registered, even with a wait pending off the thread",
  ignore: skip,
  fn: async () => {
    if ("problem" in reactor) return;
    const { c } = reactor.net;
    const fd = c.eventfd(0, SOCK_NONBLOCK | SOCK_CLOEXEC);
    reactor.register(fd, { ready: () => {} });
    // Past the first poll, nothing ready: the wait is off the thread now.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const stopped = reactor.idle();
    reactor.unregister(fd);
    c.close(fd);
    await stopped;
    assertEquals(reactor.registered, 0);
  },
});

/** This process's descriptors that are epoll sets or eventfds, by number. */
function epollAndEventfds(): Set<number> {
  const fds = new Set<number>();
  for (const [fd, what] of openDescriptors()) {
    if (what === "anon_inode:[eventpoll]" || what === "anon_inode:[eventfd]") fds.add(fd);
  }
  return fds;
}

Deno.test({
  name:
    "abandon closes the registered fds, the epoll set and the eventfd, and the wait off the thread returns",
  ignore: skip || Deno.build.os !== "linux",
  fn: async () => {
    if ("problem" in reactor) return;
    const before = epollAndEventfds();
    const own = new LibcReactor(reactor.net);
    const fd = own.net.c.eventfd(0, SOCK_NONBLOCK | SOCK_CLOEXEC);
    own.register(fd, { ready: () => {} });
    // The reactor's set is the new epoll fd watching `fd`; its eventfd is the other one it watches.
    const made = [...epollAndEventfds()].filter((n) => !before.has(n));
    const epfd = made.find((n) => epollWatched(n).includes(fd));
    assert(epfd !== undefined, `no new epoll set watches fd ${fd}`);
    const watched = epollWatched(epfd);
    assertEquals(watched.length, 2);
    const mine = [epfd, ...watched];
    // Past the first poll, nothing ready: the wait is off the thread now.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const stopped = own.idle();
    own.abandon();
    const open = epollAndEventfds();
    assertEquals(mine.filter((n) => open.has(n)), []);
    await stopped;
    assertEquals(own.registered, 0);
  },
});
