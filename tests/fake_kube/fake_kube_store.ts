/**
 * The fake API server's storage: objects per resource with their version
 * history, one cluster-wide resourceVersion counter (as etcd's revision), an
 * event log for watches, and compaction. Semantics follow the Kubernetes API
 * concepts page: every write gets a new, larger resourceVersion; a watch from
 * version X receives every change after X; versions older than the compaction
 * point are gone (`410 Gone`); paginated lists are served from the snapshot of
 * the first page's version.
 * @module
 */

/** A stored object (JSON). */
export type KubeJson = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata: Record<string, unknown> & {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    generation?: number;
  };
};

/** One change, as watches see it. */
export interface StoredEvent {
  rv: number;
  resource: string;
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: KubeJson;
}

/** Where an object lives. */
export interface ObjectRef {
  /** Resource id `<group>/<version>/<plural>` (core group: `/v1/services`). */
  resource: string;
  namespace?: string;
  name: string;
}

/** An API error the handlers turn into a `Status` answer. */
export class FakeApiError extends Error {
  constructor(readonly code: number, readonly reason: string, message: string) {
    super(message);
  }
}

function keyOf(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** The versioned object store. */
export class FakeKubeStore {
  /** The latest resourceVersion handed out. */
  revision = 1000;
  /** Versions at or below this were compacted away. */
  compactedRevision = 1000;
  private readonly history = new Map<string, Map<string, { rv: number; object?: KubeJson }[]>>();
  private events: StoredEvent[] = [];
  private readonly listeners = new Set<(event: StoredEvent) => void>();

  /** Registers a listener for every change; returns its removal. */
  subscribe(listener: (event: StoredEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private versions(resource: string): Map<string, { rv: number; object?: KubeJson }[]> {
    let map = this.history.get(resource);
    if (!map) this.history.set(resource, map = new Map());
    return map;
  }

  /** The current object, or undefined. */
  get(ref: ObjectRef): KubeJson | undefined {
    const versions = this.versions(ref.resource).get(keyOf(ref.namespace, ref.name));
    const last = versions?.at(-1)?.object;
    return last ? clone(last) : undefined;
  }

  /** Objects of `resource` as of revision `at` (default: now), sorted by key. */
  list(resource: string, at = this.revision): KubeJson[] {
    return this.listShared(resource, at).map(clone);
  }

  /**
   * Like {@linkcode list}, without copies: the stored objects themselves, which
   * the caller must not change. A list page copies only what it serves, so
   * paging through N objects costs O(N) copies, not O(N) per page.
   */
  listShared(resource: string, at = this.revision): readonly KubeJson[] {
    if (at < this.compactedRevision) {
      throw new FakeApiError(410, "Expired", `too old resource version: ${at}`);
    }
    const out: [string, KubeJson][] = [];
    for (const [key, versions] of this.versions(resource)) {
      let found: KubeJson | undefined;
      for (const v of versions) if (v.rv <= at) found = v.object;
      if (found) out.push([key, found]);
    }
    return out.sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0).map(([, o]) => o);
  }

  /** Events of `resource` after revision `after`; throws 410 when compacted. */
  eventsAfter(resource: string, after: number): StoredEvent[] {
    if (after < this.compactedRevision) {
      throw new FakeApiError(410, "Expired", `too old resource version: ${after}`);
    }
    return this.events.filter((e) => e.resource === resource && e.rv > after).map(clone);
  }

  private record(resource: string, type: StoredEvent["type"], object: KubeJson): KubeJson {
    const rv = ++this.revision;
    const stored = clone(object);
    stored.metadata.resourceVersion = String(rv);
    const key = keyOf(stored.metadata.namespace, stored.metadata.name);
    const versions = this.versions(resource);
    const list = versions.get(key) ?? [];
    list.push({ rv, object: type === "DELETED" ? undefined : stored });
    versions.set(key, list);
    const event: StoredEvent = { rv, resource, type, object: stored };
    this.events.push(event);
    for (const l of [...this.listeners]) l(clone(event));
    return clone(stored);
  }

  /** Creates an object; 409 if it exists. */
  create(resource: string, object: KubeJson): KubeJson {
    const ref = { resource, namespace: object.metadata.namespace, name: object.metadata.name };
    if (this.get(ref)) {
      throw new FakeApiError(409, "AlreadyExists", `${resource} "${ref.name}" already exists`);
    }
    const o = clone(object);
    o.metadata.uid ??= crypto.randomUUID();
    o.metadata.creationTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, "Z");
    o.metadata.generation = 1;
    return this.record(resource, "ADDED", o);
  }

  /**
   * Replaces an object. `status: true` writes only `.status` (the status
   * subresource); otherwise `.status` is kept and `generation` grows when the
   * rest changed. A `metadata.resourceVersion` in `object` is a precondition.
   */
  update(resource: string, object: KubeJson, options: { status?: boolean } = {}): KubeJson {
    const ref = { resource, namespace: object.metadata.namespace, name: object.metadata.name };
    const current = this.get(ref);
    if (!current) throw new FakeApiError(404, "NotFound", `${resource} "${ref.name}" not found`);
    const wanted = object.metadata.resourceVersion;
    if (wanted !== undefined && wanted !== current.metadata.resourceVersion) {
      throw new FakeApiError(
        409,
        "Conflict",
        `Operation cannot be fulfilled on ${resource} "${ref.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    let next: KubeJson;
    if (options.status) {
      next = clone(current);
      if (object.status === undefined) delete next.status;
      else next.status = clone(object.status);
    } else {
      next = clone(object);
      next.metadata = { ...clone(object.metadata) };
      next.metadata.uid = current.metadata.uid;
      next.metadata.creationTimestamp = current.metadata.creationTimestamp;
      if ("status" in current) next.status = clone(current.status);
      else delete next.status;
      const strip = (o: KubeJson) => {
        const { metadata: _m, status: _s, ...rest } = o;
        return JSON.stringify(rest);
      };
      next.metadata.generation = (current.metadata.generation ?? 1) +
        (strip(current) === strip(next) ? 0 : 1);
    }
    return this.record(resource, "MODIFIED", next);
  }

  /** Deletes an object; 404 if absent. */
  delete(ref: ObjectRef): KubeJson {
    const current = this.get(ref);
    if (!current) {
      throw new FakeApiError(404, "NotFound", `${ref.resource} "${ref.name}" not found`);
    }
    return this.record(ref.resource, "DELETED", current);
  }

  /** Forgets every version and event up to now: older resourceVersions now get 410. */
  compact(): void {
    this.compactedRevision = this.revision;
    this.events = [];
    for (const versions of this.history.values()) {
      for (const [key, list] of versions) {
        const last = list.at(-1)!;
        if (last.object) versions.set(key, [last]);
        else versions.delete(key);
      }
    }
  }
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return clone(patch);
  const out: Record<string, unknown> =
    typeof target === "object" && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
