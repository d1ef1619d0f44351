/**
 * Reads a Kubernetes watch response: newline-delimited JSON events, split
 * however the bytes arrive. A stream that ends inside an event is an error,
 * since what followed it was never seen and the watch must resume from the
 * last whole event.
 *
 * @example
 * ```ts
 * import { readWatchStream } from "./watch_stream.ts";
 * const body = new Response('{"type":"BOOKMARK"}\n').body!;
 * const types: (string | undefined)[] = [];
 * await readWatchStream(body, () => {}, (event) => {
 *   types.push(event.type);
 *   return undefined;
 * }); // "ended"; types is ["BOOKMARK"]
 * ```
 * @module
 */
import type { WatchEvent } from "./kube_objects.ts";

/**
 * Calls `onChunk` for every chunk received (an idle deadline restarts there)
 * and `onEvent` for every whole event; stops early with `"relist"` when
 * `onEvent` asks for it, else returns `"ended"` when the server closed the
 * stream cleanly.
 */
export async function readWatchStream(
  body: ReadableStream<Uint8Array>,
  onChunk: () => void,
  onEvent: (event: WatchEvent) => "relist" | undefined,
): Promise<"relist" | "ended"> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      onChunk();
      buffer += value;
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line === "") continue;
        if (onEvent(JSON.parse(line) as WatchEvent) === "relist") return "relist";
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  if (buffer.trim() !== "") {
    throw new Error(`Cannot read watch stream: it ended inside an event (${buffer.length} bytes)`);
  }
  return "ended";
}
