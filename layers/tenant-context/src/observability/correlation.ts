/** The correlation id that ties a request's log lines, its response and the events it emits together. */
import { randomUUID } from "node:crypto";

/** The request header a correlation id is taken from (when well formed); every response echoes it. */
export const CORRELATION_HEADER = "X-Correlation-Id";

/** What a correlation id may look like: it goes into log lines, headers and events unescaped. */
export const CORRELATION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request's correlation id: the caller's `X-Correlation-Id` when well formed, else API
 * Gateway's request id, else a new UUID. The authorizer and the services pick the same one.
 *
 * @example
 * const id = correlationIdOf(c.req.header(CORRELATION_HEADER), event.requestContext.requestId);
 */
export function correlationIdOf(given: string | undefined, requestId: string | undefined): string {
  if (given && CORRELATION_ID_PATTERN.test(given)) return given;
  return requestId ?? randomUUID();
}

/** The headers of an API Gateway REST event, a proxy event's or a REQUEST authorizer's. */
interface EventHeaders {
  headers?: Record<string, string | undefined> | null;
  multiValueHeaders?: Record<string, string[] | undefined> | null;
}

/**
 * A header of an API Gateway REST event, by its name in any case; the values of a repeated one
 * joined with ", ".
 *
 * @example
 * const token = eventHeader(event, "Authorization");
 */
export function eventHeader(event: EventHeaders, wanted: string): string | undefined {
  const matches = (name: string) => name.toLowerCase() === wanted.toLowerCase();
  const multi = event.multiValueHeaders ?? {};
  const multiName = Object.keys(multi).find(matches);
  if (multiName) return multi[multiName]?.join(", ");
  const headers = event.headers ?? {};
  const name = Object.keys(headers).find(matches);
  return name ? headers[name] : undefined;
}

/**
 * The correlation id of an API Gateway REST event, by the rule of `correlationIdOf`.
 *
 * @example
 * logger.appendKeys({ correlation_id: eventCorrelationId(event) });
 */
export function eventCorrelationId(event: EventHeaders & { requestContext?: { requestId?: string } }): string {
  return correlationIdOf(eventHeader(event, CORRELATION_HEADER), event.requestContext?.requestId);
}
