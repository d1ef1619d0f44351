/**
 * The runtime's web classes that the proxy path tests its values against,
 * read from the global scope once. Deno (pinned: 2.9.6) defines `Response`
 * and `ReadableStream` on the global scope as lazily loaded properties:
 * every read of the global name calls a getter that asks the module loader
 * for the module first, and a proxied request read them five times (about
 * 1.6k instructions in all, counted under callgrind). A module's constant
 * is one load.
 *
 * @example
 * ```ts
 * import { ResponseClass } from "./web_classes.ts";
 * const answer: unknown = new Response("ok");
 * if (answer instanceof ResponseClass) console.log(answer.status); // 200
 * ```
 * @module
 */

/** `Response`, read once. */
export const ResponseClass: typeof Response = Response;

/** `ReadableStream`, read once. */
export const ReadableStreamClass: typeof ReadableStream = ReadableStream;
