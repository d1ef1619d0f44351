/**
 * What one kind's watcher keeps of the objects the API server sent: each is
 * validated (with `kind`/`apiVersion` added, since list items of built-in
 * kinds come without them), written to the store or kept out of it, and its
 * problems remembered until it is fixed or gone. A watch event is applied
 * here too; the loop in `kube_watch.ts` only moves bytes and decides when to
 * list.
 *
 * @example
 * ```ts
 * import { KindObjects } from "./kube_objects.ts";
 * import { createStore } from "./store.ts";
 * import { createLogger } from "../log/logger.ts";
 * import { WATCHED_KINDS } from "../kube/kinds.ts";
 * import { validateKubeObject } from "./kube_validate.ts";
 * const objects = new KindObjects(WATCHED_KINDS[0], createStore(), validateKubeObject, createLogger());
 * objects.problems(); // []
 * ```
 * @module
 */
import type { Logger } from "../log/logger.ts";
import type { Problem } from "../model/config.ts";
import type { GatewayResource } from "../resources/types.ts";
import { KubeApiError } from "../kube/client.ts";
import { apiVersionOf, type WatchedKind } from "../kube/kinds.ts";
import type { Store } from "./store.ts";

/** The outcome of validating one raw object. */
export type ValidationOutcome =
  | { ok: true; object: GatewayResource }
  | { ok: false; problems: Problem[] };

/** Validates one raw object as received from the API server. */
export type ObjectValidator = (raw: unknown) => ValidationOutcome;

/** One event of a watch stream. */
export interface WatchEvent {
  type?: string;
  object?: Record<string, unknown> & {
    metadata?: { name?: string; namespace?: string; resourceVersion?: string };
    code?: number;
    message?: string;
    reason?: string;
  };
}

type ObjectMetaLike = { namespace?: string; name?: string } | undefined;

/** `namespace/name` (or `name`) of an object's metadata. */
export function objectKey(meta: ObjectMetaLike): string {
  return meta?.namespace ? `${meta.namespace}/${meta.name}` : `${meta?.name}`;
}

/** A list in progress (see {@linkcode KindObjects.beginList}). */
export interface KindList {
  /** Validates one page of raw objects. */
  add(items: readonly Record<string, unknown>[]): void;
  /** Replaces the kind's objects with everything added. */
  commit(): void;
}

/** The objects of one kind as accepted into the store, and the problems of the rest. */
export class KindObjects {
  readonly #kind: WatchedKind;
  readonly #apiVersion: string;
  readonly #store: Store;
  readonly #validate: ObjectValidator;
  readonly #log: Logger;
  readonly #problems = new Map<string, Problem[]>();

  constructor(kind: WatchedKind, store: Store, validate: ObjectValidator, log: Logger) {
    this.#kind = kind;
    this.#apiVersion = apiVersionOf(kind);
    this.#store = store;
    this.#validate = validate;
    this.#log = log;
  }

  /** Validation problems of the objects currently known. */
  problems(): Problem[] {
    return [...this.#problems.values()].flat();
  }

  /** Validates one object; `undefined` (and a remembered problem) when it is invalid. */
  accept(raw: Record<string, unknown>): GatewayResource | undefined {
    const full = {
      ...raw,
      apiVersion: raw.apiVersion ?? this.#apiVersion,
      kind: raw.kind ?? this.#kind.kind,
    };
    const key = objectKey(raw.metadata as ObjectMetaLike);
    const outcome = this.#validate(full);
    if (outcome.ok) {
      this.#clearProblems(key);
      return outcome.object;
    }
    this.#problems.set(key, outcome.problems);
    this.#store.touch();
    this.#log.warn("invalid object ignored", { object: key, problems: outcome.problems });
    return undefined;
  }

  /** Replaces the kind's objects with a full list; problems of objects no longer listed go. */
  replaceAll(items: readonly Record<string, unknown>[]): void {
    const list = this.beginList();
    list.add(items);
    list.commit();
  }

  /**
   * A full list that arrives in pages: each page is validated as it comes
   * (while the next one is on its way, and its raw JSON can go at once), and
   * nothing reaches the store before `commit`, so a list that fails halfway
   * leaves the store as it was.
   */
  beginList(): KindList {
    const objects: GatewayResource[] = [];
    const seen = new Set<string>();
    return {
      add: (items) => {
        for (const raw of items) {
          seen.add(objectKey(raw.metadata as ObjectMetaLike));
          const object = this.accept(raw);
          if (object) objects.push(object);
        }
      },
      commit: () => {
        for (const key of [...this.#problems.keys()]) if (!seen.has(key)) this.#clearProblems(key);
        this.#store.replaceKind(this.#kind.kind, objects);
      },
    };
  }

  /** The kind is not served (its CRD is missing): no objects, no problems. */
  clear(): void {
    this.#store.replaceKind(this.#kind.kind, []);
    if (this.#problems.size > 0) {
      this.#problems.clear();
      this.#store.touch();
    }
  }

  /**
   * Applies one watch event. Returns `"relist"` for `410 Gone`, the event's
   * resourceVersion when it moved the watch on, or `undefined`; throws a
   * {@linkcode KubeApiError} for any other `ERROR` event.
   */
  apply(event: WatchEvent): "relist" | { resourceVersion?: string } | undefined {
    const object = event.object ?? {};
    const meta = object.metadata;
    switch (event.type) {
      case "ADDED":
      case "MODIFIED": {
        const accepted = this.accept(object);
        if (accepted) this.#store.upsert(accepted);
        else this.#store.delete(this.#kind.kind, meta?.namespace, String(meta?.name));
        break;
      }
      case "DELETED":
        this.#clearProblems(objectKey(meta));
        this.#store.delete(this.#kind.kind, meta?.namespace, String(meta?.name));
        break;
      case "BOOKMARK":
        break;
      case "ERROR": {
        if (object.code === 410) return "relist";
        throw new KubeApiError(
          object.code ?? 500,
          `Cannot watch ${this.#kind.resource}: ${object.message ?? "error event"}`,
          object.reason,
        );
      }
      default:
        this.#log.warn("unknown watch event type ignored", { type: event.type });
        return undefined;
    }
    return { resourceVersion: meta?.resourceVersion };
  }

  // A problem alone changes no object; touching the store carries it to the
  // reconciler through the same holdoff as object changes.
  #clearProblems(key: string): void {
    if (this.#problems.delete(key)) this.#store.touch();
  }
}
