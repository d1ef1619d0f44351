/**
 * A connection whose first reads return bytes already read from it: a port
 * that looked at a connection's first bytes (to tell HTTP/2 from HTTP/1.1)
 * hands it on as if nothing had been read. Everything but `read` and
 * `readable` goes to the connection itself.
 *
 * @example
 * ```ts
 * import { prefixedConn } from "./prefixed_conn.ts";
 * declare const conn: Deno.Conn;
 * const first = new Uint8Array(16);
 * const n = await conn.read(first);
 * const whole = prefixedConn(conn, first.subarray(0, n ?? 0));
 * ```
 * @module
 */

/** `conn`, reading `first` before what the socket delivers next. */
export function prefixedConn<C extends Deno.Conn>(conn: C, first: Uint8Array): C {
  let pending = first.length > 0 ? first : undefined;
  const read = (buffer: Uint8Array): Promise<number | null> => {
    if (pending === undefined) return conn.read(buffer);
    const n = Math.min(buffer.length, pending.length);
    buffer.set(pending.subarray(0, n));
    pending = n < pending.length ? pending.subarray(n) : undefined;
    return Promise.resolve(n);
  };
  let readable: ReadableStream<Uint8Array> | undefined;
  const makeReadable = () =>
    new ReadableStream<Uint8Array>({
      async pull(controller) {
        const buffer = new Uint8Array(16 * 1024);
        const n = await read(buffer).catch((error) => {
          controller.error(error);
          return 0;
        });
        if (n === null) controller.close();
        else if (n > 0) controller.enqueue(buffer.subarray(0, n));
      },
      cancel: () => conn.close(),
    });
  return new Proxy(conn, {
    get(target, property) {
      if (property === "read") return read;
      if (property === "readable") return readable ??= makeReadable();
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
