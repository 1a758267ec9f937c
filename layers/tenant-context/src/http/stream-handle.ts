/** Lambda's streaming entry point for a tenant-aware app: hono's adapter, with what it leaves undone done. */
import type { Hono } from "hono";
import { streamHandle as honoStreamHandle } from "hono/aws-lambda";
import { settleAbandonedStream } from "./tenant-context.ts";

type StreamingHandler = ReturnType<typeof honoStreamHandle>;

declare const awslambda: { streamifyResponse<T>(handler: T): T };

/**
 * hono's `streamHandle()` for an app behind `tenantContext()`. When the response stream fails (the
 * connection to the client broke), hono's adapter stops reading the body but does not cancel it;
 * this one settles such a body before the invocation ends: what was producing it (an export's
 * reads, say) is stopped and waited for, and its metrics are published with this invocation.
 *
 * @example
 * // functions/products/handler.ts
 * export const streamHandler = streamHandle(app);
 */
// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its environment
export function streamHandle(app: Hono<any>): StreamingHandler {
  const handler = honoStreamHandle(app) as unknown as (...args: unknown[]) => Promise<void>;
  return awslambda.streamifyResponse(async (event: unknown, responseStream: unknown, context: unknown) => {
    try {
      await handler(event, responseStream, context);
    } finally {
      await settleAbandonedStream();
    }
  }) as unknown as StreamingHandler;
}
