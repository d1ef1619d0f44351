/**
 * The one mutable reference to the route table requests are served from.
 * The reconciler swaps it; the data plane reads it once per request. It is
 * made before either of them, so the listener manager (which needs the table)
 * and the reconciler (which needs the listener manager) are built in a plain
 * order, and a request that arrives before the first swap sees `undefined`.
 *
 * @example
 * ```ts
 * import { ServedTable } from "./served_table.ts";
 * const served = new ServedTable();
 * served.current(); // undefined: nothing was swapped in yet
 * ```
 * @module
 */
import type { RouteTable } from "../router/router.ts";

/** Holds the table served now; a swap is one assignment. */
export class ServedTable {
  #table: RouteTable | undefined;

  /** The table served now, if one was swapped in. */
  current(): RouteTable | undefined {
    return this.#table;
  }

  /** Serves `table` from now on; requests in flight keep the one they read. */
  swap(table: RouteTable): void {
    this.#table = table;
  }
}
