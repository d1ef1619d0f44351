/**
 * A minimal client of the V8 inspector a gateway started with `--inspect`
 * serves, for memory measurements from outside the process: force a full
 * garbage collection, then read `Deno.memoryUsage()` (V8 heap, external
 * memory, RSS). Test equipment only; the gateway never runs with it.
 * @module
 */

import { LIBC_PATHS } from "../src/dataplane/libc.ts";

/**
 * The first of libc's usual paths that exists: the gateway may hold
 * `--allow-ffi` for those paths only, so a bare `libc.so.6` is refused.
 */
function libcPath(): string {
  for (const path of LIBC_PATHS) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // Not this one.
    }
  }
  return "libc.so.6";
}

/** `Deno.memoryUsage()` of the inspected process, in bytes. */
export interface MemoryUsage {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
}

/** What glibc's `mallinfo2()` says, in bytes (see {@linkcode InspectorSession.mallinfo}). */
export interface MallInfo {
  arena: number;
  mmapped: number;
  inUse: number;
  free: number;
  topFree: number;
}

/** One inspector session over its WebSocket. */
export class InspectorSession {
  readonly #socket: WebSocket;
  #nextId = 1;
  readonly #pending = new Map<number, (result: unknown) => void>();
  #onEvent: ((method: string, params: Record<string, unknown>) => void) | undefined;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (event) => {
      const message = JSON.parse(String(event.data));
      if (message.id === undefined) {
        this.#onEvent?.(message.method, message.params);
        return;
      }
      const resolve = this.#pending.get(message.id);
      if (resolve === undefined) return;
      this.#pending.delete(message.id);
      resolve(
        message.error ? Promise.reject(new Error(JSON.stringify(message.error))) : message.result,
      );
    };
  }

  /** Connects to the first target of the inspector on `port`. */
  static async connect(port: number): Promise<InspectorSession> {
    const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(new Error(`Cannot open the inspector session on port ${port}`));
    });
    const session = new InspectorSession(socket);
    await session.call("Runtime.enable");
    return session;
  }

  /** Sends one inspector command; its result. */
  call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.#nextId++;
    const result = new Promise<unknown>((resolve) => this.#pending.set(id, resolve));
    this.#socket.send(JSON.stringify({ id, method, params }));
    return result;
  }

  /** A full garbage collection, then the process's memory usage. */
  async memoryAfterGc(): Promise<MemoryUsage> {
    await this.call("HeapProfiler.collectGarbage");
    const result = await this.call("Runtime.evaluate", {
      expression: "JSON.stringify(Deno.memoryUsage())",
      returnByValue: true,
    }) as { result: { value: string } };
    return JSON.parse(result.result.value);
  }

  /**
   * Writes a heap snapshot (after a full GC, as V8 takes one) to `path`, in
   * the `.heapsnapshot` format DevTools reads.
   */
  async writeHeapSnapshot(path: string): Promise<void> {
    const file = await Deno.open(path, { write: true, create: true, truncate: true });
    const encoder = new TextEncoder();
    let writing = Promise.resolve();
    this.#onEvent = (method, params) => {
      if (method !== "HeapProfiler.addHeapSnapshotChunk") return;
      const bytes = encoder.encode(String(params.chunk));
      writing = writing.then(async () => {
        for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
      });
    };
    try {
      await this.call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
      await writing;
    } finally {
      this.#onEvent = undefined;
      file.close();
    }
  }

  /**
   * Calls glibc's `malloc_trim(0)` inside the process (which must run with
   * `--allow-ffi`): measures how much of the RSS is free memory the allocator
   * keeps. Resolves with the call's time in the process, ms.
   */
  async mallocTrim(): Promise<number> {
    const expression = `(() => { const lib = Deno.dlopen(${JSON.stringify(libcPath())}, ` +
      `{ malloc_trim: { parameters: ["usize"], result: "i32" } }); const t = performance.now(); ` +
      `lib.symbols.malloc_trim(0n); const ms = performance.now() - t; lib.close(); return ms; })()`;
    const result = await this.call("Runtime.evaluate", { expression, returnByValue: true }) as {
      result: { value?: number };
      exceptionDetails?: unknown;
    };
    if (result.exceptionDetails !== undefined || result.result.value === undefined) {
      throw new Error(`Cannot call malloc_trim: ${JSON.stringify(result.exceptionDetails)}`);
    }
    return result.result.value;
  }

  /**
   * glibc's `mallinfo2()` inside the process (which must run with
   * `--allow-ffi`), summed over every arena: bytes taken from the system
   * (`arena`: brk and arenas; `mmapped`: large blocks mapped alone), in use
   * (`inUse`) and free but kept (`free`), and what a trim of the main heap's
   * top could give back (`topFree`).
   */
  async mallinfo(): Promise<MallInfo> {
    const expression =
      `(() => { const lib = Deno.dlopen(${JSON.stringify(libcPath())}, { mallinfo2: ` +
      `{ parameters: [], result: { struct: Array(10).fill("usize") } } }); ` +
      `const words = new BigUint64Array(lib.symbols.mallinfo2().buffer); lib.close(); ` +
      `return JSON.stringify([...words].map(Number)); })()`;
    const result = await this.call("Runtime.evaluate", { expression, returnByValue: true }) as {
      result: { value?: string };
      exceptionDetails?: unknown;
    };
    if (result.exceptionDetails !== undefined || result.result.value === undefined) {
      throw new Error(`Cannot call mallinfo2: ${JSON.stringify(result.exceptionDetails)}`);
    }
    const w = JSON.parse(result.result.value) as number[];
    return { arena: w[0], mmapped: w[4], inUse: w[7], free: w[8], topFree: w[9] };
  }

  /**
   * glibc's `malloc_info(0, file)` inside the process (which must run with
   * `--allow-ffi`): the XML account by arena, free chunks by size, written to `path`.
   */
  async mallocInfoXml(path: string): Promise<void> {
    const expression = `(() => { const lib = Deno.dlopen(${JSON.stringify(libcPath())}, { ` +
      `fopen: { parameters: ["buffer", "buffer"], result: "pointer" }, ` +
      `fclose: { parameters: ["pointer"], result: "i32" }, ` +
      `malloc_info: { parameters: ["i32", "pointer"], result: "i32" } }); ` +
      `const c = (s) => new TextEncoder().encode(s + "\\0"); ` +
      `const file = lib.symbols.fopen(c(${JSON.stringify(path)}), c("w")); ` +
      `lib.symbols.malloc_info(0, file); lib.symbols.fclose(file); lib.close(); return 1; })()`;
    const result = await this.call("Runtime.evaluate", { expression, returnByValue: true }) as {
      exceptionDetails?: unknown;
    };
    if (result.exceptionDetails !== undefined) {
      throw new Error(`Cannot call malloc_info: ${JSON.stringify(result.exceptionDetails)}`);
    }
  }

  close(): void {
    this.#socket.close();
  }
}
