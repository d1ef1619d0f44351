/**
 * Which objects of a list are new and which are gone, by identity, at a
 * cost that follows the changes rather than the list. `translate` hands back
 * the very same object for everything a change did not touch (a virtual
 * host, a status) and keeps its lists in a stable order, so walking two
 * successive lists side by side finds the few places where they differ: a
 * pointer comparison per item, where a set or map of every item cost
 * milliseconds at thousands of routes.
 *
 * @example
 * ```ts
 * import { listChanges } from "./list_changes.ts";
 * const a = { id: "a" }, b = { id: "b" }, b2 = { id: "b" }, c = { id: "c" };
 * const changes = listChanges([a, b, c], [a, b2, c]);
 * // changes.added: [b2], changes.removed: [b]; changes.list: [a, b2, c]
 * ```
 * @module
 */
import { listTrail } from "./list_trail.ts";

/** Objects only in the new list (`added`) and only in the old one (`removed`). */
export interface ListChanges<T> {
  added: T[];
  removed: T[];
  /**
   * The new list as a plain array, to pass as `before` next time. Reading
   * the elements of a frozen array (translate freezes its output) is many
   * times slower in V8 than reading a plain one, while `Array.from` copies
   * it fast: the walk reads copies. A list with a trail from `before` is
   * handed back itself (the next list's trail names it).
   */
  list: T[];
}

/** How far ahead a mismatch looks for the two lists to line up again. */
const WINDOW = 8;

/**
 * The objects of `after` that are not in `before` and those of `before`
 * that are not in `after`, compared by identity (as two sets would, with
 * each object assumed once per list). Lists in the same order cost one
 * comparison per item plus a little per change; lists in another order
 * still come out right, at the cost of a set of what differs.
 */
export function listChanges<T>(before: readonly T[], next: readonly T[]): ListChanges<T> {
  // A list that says what changed since `before` (`list_trail.ts`) is not walked,
  // and is itself the `before` of the next call (its trail names it).
  if (before === next) return { added: [], removed: [], list: next as T[] };
  const trail = listTrail(next);
  if (trail !== undefined && trail.since === before) {
    return { ...netOfMoves([...trail.upserts], [...trail.gone]), list: next as T[] };
  }
  const after = Array.from(next);
  const added: T[] = [];
  const removed: T[] = [];
  let i = 0;
  let j = 0;
  while (i < before.length && j < after.length) {
    if (before[i] === after[j]) {
      i++;
      j++;
      continue;
    }
    const skip = realign(before, i, after, j);
    if (skip.after > 0) {
      for (let k = 0; k < skip.after; k++) added.push(after[j + k]);
      j += skip.after;
    } else if (skip.before > 0) {
      for (let k = 0; k < skip.before; k++) removed.push(before[i + k]);
      i += skip.before;
    } else {
      // Nothing lines up nearby: a replaced object (or a reorder, settled below).
      removed.push(before[i++]);
      added.push(after[j++]);
    }
  }
  for (; i < before.length; i++) removed.push(before[i]);
  for (; j < after.length; j++) added.push(after[j]);
  return { ...netOfMoves(added, removed), list: after };
}

/** How many items of `after` were inserted (or of `before` dropped) before they line up again. */
function realign<T>(
  before: readonly T[],
  i: number,
  after: readonly T[],
  j: number,
): { before: number; after: number } {
  for (let d = 1; d <= WINDOW; d++) {
    if (j + d < after.length && after[j + d] === before[i]) return { before: 0, after: d };
    if (i + d < before.length && before[i + d] === after[j]) return { before: d, after: 0 };
  }
  return { before: 0, after: 0 };
}

/** An object both "added" and "removed" only moved: it is in both lists. */
function netOfMoves<T>(added: T[], removed: T[]): { added: T[]; removed: T[] } {
  if (added.length === 0 || removed.length === 0) return { added, removed };
  const gone = new Set(removed);
  const kept = added.filter((item) => !gone.delete(item));
  return { added: kept, removed: removed.filter((item) => gone.has(item)) };
}
