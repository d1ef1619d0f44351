/**
 * The fake API server's watch streams: newline-delimited JSON events
 * (`ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK`, `ERROR`), starting after the
 * requested resourceVersion (or with synthetic `ADDED` events for every object
 * when none is given), closed after `timeoutSeconds`, and an `ERROR` event
 * with a 410 `Status` (or an HTTP 410, as configured) for compacted versions.
 * Faults: cut a stream in the middle of its next event, hang streams (no more
 * bytes, or no response headers at all).
 * @module
 */
import {
  FakeApiError,
  type FakeKubeStore,
  type KubeJson,
  type StoredEvent,
} from "./fake_kube_store.ts";
import { apiVersionOf, type FakeResource } from "./fake_kube_resources.ts";

/** Watch behaviour options. */
export interface FakeWatchOptions {
  /** Send a BOOKMARK this often to watches that allow them. Default 0 (never). */
  bookmarkIntervalMs?: number;
  /** `timeoutSeconds` when the client gives none. Default 1800. */
  defaultWatchTimeoutSeconds?: number;
  /** How an expired resourceVersion is answered. Default `event` (HTTP 200 + ERROR 410). */
  expiredWatchAs?: "event" | "status";
}

interface ActiveWatch {
  resource: FakeResource;
  namespace?: string;
  matches: (o: KubeJson) => boolean;
  controller: ReadableStreamDefaultController<Uint8Array>;
  hung: boolean;
  closed: boolean;
  cut?: "error" | "close";
  timers: ReturnType<typeof setTimeout>[];
  bookmarks: boolean;
}

const encoder = new TextEncoder();

/** Every open watch of one fake server. */
export class FakeWatchHub {
  private readonly active = new Set<ActiveWatch>();
  private readonly unsubscribe: () => void;
  private readonly pendingHeaders = new Set<() => void>();
  /** Watches opened so far, per resource plural. */
  readonly opened = new Map<string, number>();
  /** The newest resourceVersion sent in a BOOKMARK, per resource plural. */
  readonly bookmarked = new Map<string, number>();
  /** New watches of these plurals (or all, `*`) hang: `body` sends headers only, `headers` nothing. */
  hangNew = new Map<string, "body" | "headers">();

  constructor(private readonly store: FakeKubeStore, private readonly options: FakeWatchOptions) {
    this.unsubscribe = store.subscribe((event) => this.publish(event));
  }

  /** Parses `a=b,c!=d` into a predicate over objects (dotted field paths). */
  parseFieldSelector(text: string | null): (o: KubeJson) => boolean {
    if (!text) return () => true;
    const terms = text.split(",").map((term) => {
      const m = /^([^!=]+)(==|=|!=)(.*)$/.exec(term.trim());
      if (!m) throw new FakeApiError(400, "BadRequest", `invalid field selector: ${term}`);
      return { path: m[1].split("."), negate: m[2] === "!=", value: m[3] };
    });
    return (o) =>
      terms.every(({ path, negate, value }) => {
        let v: unknown = o;
        for (const p of path) v = (v as Record<string, unknown> | undefined)?.[p];
        return (String(v ?? "") === value) !== negate;
      });
  }

  /** Open watches, optionally of one plural. */
  count(plural?: string): number {
    return [...this.active].filter((w) => !plural || w.resource.plural === plural).length;
  }

  /** The next event each open watch (of `plural`) gets is cut in half, then the stream ends. */
  cut(mode: "error" | "close" = "error", plural?: string): void {
    for (const w of this.active) if (!plural || w.resource.plural === plural) w.cut = mode;
  }

  /** Open watches (of `plural`) go silent: no more bytes, connection kept open. */
  hang(plural?: string): void {
    for (const w of this.active) {
      if (plural && w.resource.plural !== plural) continue;
      // A hung server sends nothing more: no event, no bookmark, not even its timeout's end.
      w.hung = true;
      for (const t of w.timers) clearTimeout(t);
      w.timers.length = 0;
    }
  }

  /** Ends every stream abruptly (server going down). */
  terminateAll(): void {
    for (const w of [...this.active]) this.end(w, new Error("server going down"));
    for (const release of [...this.pendingHeaders]) release();
  }

  /** Stops listening to the store and ends every stream. */
  close(): void {
    this.terminateAll();
    this.unsubscribe();
  }

  /** Answers a `?watch=true` request. */
  open(
    resource: FakeResource,
    namespace: string | undefined,
    query: URLSearchParams,
  ): Response | Promise<Response> {
    this.opened.set(resource.plural, (this.opened.get(resource.plural) ?? 0) + 1);
    const matches = this.parseFieldSelector(query.get("fieldSelector"));
    const inScope = (o: KubeJson) =>
      (!namespace || o.metadata.namespace === namespace) && matches(o);
    const rvText = query.get("resourceVersion");
    let backlog: StoredEvent[] | "expired";
    if (!rvText || rvText === "0") {
      backlog = this.store.list(resource.id).map((object) => ({
        rv: 0,
        resource: resource.id,
        type: "ADDED",
        object,
      }));
    } else {
      try {
        backlog = this.store.eventsAfter(resource.id, Number(rvText));
      } catch (err) {
        if (!(err instanceof FakeApiError) || err.code !== 410) throw err;
        if (this.options.expiredWatchAs === "status") throw err;
        backlog = "expired";
      }
    }
    const hang = this.hangNew.get(resource.plural) ?? this.hangNew.get("*");
    const timeoutSeconds = Number(
      query.get("timeoutSeconds") ?? this.options.defaultWatchTimeoutSeconds ?? 1800,
    );
    let watch!: ActiveWatch;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        watch = {
          resource,
          namespace,
          matches: inScope,
          controller,
          hung: hang !== undefined,
          closed: false,
          timers: [],
          bookmarks: query.get("allowWatchBookmarks") === "true",
        };
        this.active.add(watch);
        if (backlog === "expired") {
          this.send(watch, {
            type: "ERROR",
            object: {
              kind: "Status",
              apiVersion: "v1",
              metadata: {},
              status: "Failure",
              message: `too old resource version: ${rvText} (${this.store.compactedRevision})`,
              reason: "Expired",
              code: 410,
            },
          });
          this.end(watch);
          return;
        }
        for (const e of backlog) if (inScope(e.object)) this.sendEvent(watch, e);
        if (watch.hung) return;
        watch.timers.push(setTimeout(() => this.end(watch), timeoutSeconds * 1000));
        const every = this.options.bookmarkIntervalMs ?? 0;
        if (watch.bookmarks && every > 0) {
          const tick = () => {
            const revision = this.store.revision;
            this.send(watch, {
              type: "BOOKMARK",
              object: {
                kind: resource.kind,
                apiVersion: apiVersionOf(resource),
                metadata: { resourceVersion: String(revision) },
              },
            });
            if (!watch.closed) {
              const before = this.bookmarked.get(resource.plural) ?? 0;
              this.bookmarked.set(resource.plural, Math.max(before, revision));
            }
            watch.timers.push(setTimeout(tick, every));
          };
          watch.timers.push(setTimeout(tick, every));
        }
      },
      cancel: () => this.end(watch),
    });
    const response = new Response(body, { headers: { "content-type": "application/json" } });
    if (hang !== "headers") return response;
    return new Promise<Response>((resolve) => {
      const release = () => {
        this.pendingHeaders.delete(release);
        this.end(watch);
        resolve(new Response("server going down", { status: 503 }));
      };
      this.pendingHeaders.add(release);
    });
  }

  private publish(event: StoredEvent): void {
    for (const w of this.active) {
      if (w.resource.id === event.resource && w.matches(event.object)) this.sendEvent(w, event);
    }
  }

  private sendEvent(w: ActiveWatch, e: StoredEvent): void {
    this.send(w, {
      type: e.type,
      object: { ...e.object, apiVersion: apiVersionOf(w.resource), kind: w.resource.kind },
    });
  }

  private send(w: ActiveWatch, event: unknown): void {
    if (w.closed || w.hung) return;
    const line = JSON.stringify(event) + "\n";
    if (w.cut) {
      w.controller.enqueue(encoder.encode(line.slice(0, Math.floor(line.length / 2))));
      this.end(w, w.cut === "error" ? new Error("connection cut") : undefined);
      return;
    }
    w.controller.enqueue(encoder.encode(line));
  }

  private end(w: ActiveWatch | undefined, error?: Error): void {
    if (!w || w.closed) return;
    w.closed = true;
    for (const t of w.timers) clearTimeout(t);
    this.active.delete(w);
    try {
      if (error) w.controller.error(error);
      else w.controller.close();
    } catch {
      // The client already went away.
    }
  }
}
