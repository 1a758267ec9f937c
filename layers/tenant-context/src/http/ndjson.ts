/** Streamed NDJSON answers whose failures are failures: logged, counted as a 5xx, and never passed off as complete. */
import type { Context } from "hono";
import { logFailure, logger } from "../observability/logger.ts";

/** The media type of a streamed export: one JSON value per line. */
export const NDJSON_CONTENT_TYPE = "application/x-ndjson";

/** Bodies still being produced while they are read, whatever the adapter: the tenant context watches them to the end. */
const producedWhileRead = new WeakSet<ReadableStream<Uint8Array>>();

/** True for a body `ndjsonResponse` made: it is still being produced when the handler returns. */
export function isProducedWhileRead(body: ReadableStream<Uint8Array>): boolean {
  return producedWhileRead.has(body);
}

/**
 * Answers with one JSON line per value of `lines`, read only as fast as the client takes them.
 * If reading `lines` fails half way, the failure is logged with the request's keys and the body
 * ends with an error: the client cannot take the part it got for the whole answer, and the
 * tenant context counts the request as a server error. (hono's `stream()` logs such a failure
 * with `console.error` and then ends the body as if it were complete.) A client that goes away
 * stops the reading.
 *
 * @example
 * app.get("/products/export", (c) => ndjsonResponse(c, exportProducts(products(c))));
 */
export function ndjsonResponse(c: Context, lines: AsyncIterable<unknown>): Response {
  const values = lines[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await values.next();
        // The client may have gone away while this line was being read: then nobody wants it.
        if (cancelled) return;
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(`${JSON.stringify(next.value)}\n`));
      } catch (error) {
        // Nobody reads the answer any more, but what its source was doing failed: say so.
        if (cancelled) return logFailure(logger, "streamed response failed after its client went away", error);
        logFailure(logger, "streamed response failed", error);
        controller.error(error);
      }
    },
    async cancel() {
      cancelled = true;
      // Stopping the reading must not fail the cancel, whatever the source's own cleanup does.
      await Promise.resolve(values.return?.()).catch((error: unknown) =>
        logger.warn("stopping a streamed response's source failed", { error: error as Error }),
      );
    },
  });
  producedWhileRead.add(body);
  c.header("Content-Type", NDJSON_CONTENT_TYPE);
  return c.body(body);
}
