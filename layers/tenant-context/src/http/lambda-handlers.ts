/**
 * Lambda's entry points for a tenant-aware app behind API Gateway's REST API, buffered (`handle`) and
 * streamed (`streamHandle`). They take the place of hono's adapters (`hono/aws-lambda`), which print
 * unstructured `console.error` lines (no tenant, no correlation id) and answer a request they cannot
 * read with a plain-text 400 (a GET with a body, say), and whose streaming adapter never settles the
 * body it stopped reading.
 */
import { pipeline } from "node:stream/promises";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context as LambdaContext } from "aws-lambda";
import type { Hono } from "hono";
import { CORRELATION_HEADER, eventCorrelationId } from "../observability/correlation.ts";
import { beginRequestLog, isLoggedFailure, logFailure, logger } from "../observability/logger.ts";
import { NO_TIER, publishRequestMetrics } from "../observability/metrics.ts";
import { problemResponse, toProblemError, ValidationError } from "./errors.ts";
import { authorizedCaller, type LambdaBindings, settleAbandonedStream } from "./tenant-context.ts";

/** What `awslambda.streamifyResponse` hands the handler: a writable stream to the client. */
type ResponseStream = NodeJS.WritableStream;

type StreamingHandler = (
  event: APIGatewayProxyEvent,
  responseStream: ResponseStream,
  context: LambdaContext,
) => Promise<void>;

interface HttpResponseMetadata {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
}

declare const awslambda: {
  streamifyResponse(handler: StreamingHandler): StreamingHandler;
  HttpResponseStream: { from(stream: ResponseStream, metadata: HttpResponseMetadata): ResponseStream };
};

/**
 * The Lambda handler of a streamed route: the app's answer goes to the client chunk by chunk, as
 * fast as the client takes it. `c.env` is `{ event, requestContext, context }`, as under hono's
 * adapter. When the answer ends early, nothing unstructured is written:
 * - its body failed half way: why is logged with the request's keys (once: `ndjsonResponse` logs its
 *   own failures), and the response stream is left failed, so the client cannot take the part it got
 *   for the whole answer;
 * - the client went away: one INFO line with the request's keys, and the body is settled before the
 *   invocation ends (what was producing it is stopped and waited for, its metrics published).
 *
 * @example
 * // functions/products/handler.ts
 * export const streamHandler = streamHandle(app);
 */
// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its environment
export function streamHandle(app: Hono<any>): StreamingHandler {
  return awslambda.streamifyResponse(async (event, responseStream, context) => {
    /** Stopping a body whose client went away, if that began before the invocation's end. */
    let stopping: Promise<void> | undefined;
    try {
      const res = await answerTo(app, event, context, { event, requestContext: event.requestContext, context });
      const headers: Record<string, string> = {};
      res.headers.forEach((value, name) => {
        if (name !== "set-cookie") headers[name] = value;
      });
      const stream = awslambda.HttpResponseStream.from(responseStream, {
        statusCode: res.status,
        headers,
        cookies: res.headers.getSetCookie(),
      });
      // Lambda's runtime sends the status and headers with the first write: an answer without a
      // body (or with an empty one) that only ended the stream would go out as a bare 200.
      stream.write("");
      if (!res.body) {
        stream.end();
        return;
      }
      // A response stream that fails (the client went away) stops the body at once, rather than at
      // its next chunk: a producer waiting on a slow read must not hold the invocation.
      const stopBody = () => {
        stopping = settleAbandonedStream();
      };
      stream.once("error", stopBody);
      const source = { failed: false };
      // Either way pipeline leaves the response stream failed, so the runtime does not end it cleanly.
      await pipeline(chunksOf(res.body, source), stream)
        .catch((error: unknown) => {
          if (!source.failed)
            logger.info("the client went away before the streamed answer ended", { reason: String(error) });
          else if (!isLoggedFailure(error)) logFailure(logger, "streamed response failed", error);
        })
        // Past this invocation, a late error must not stop the body of the next one.
        .finally(() => stream.off("error", stopBody));
    } finally {
      await Promise.all([stopping, settleAbandonedStream()]);
    }
  });
}

/** The body's chunks; `source.failed` tells a failure of the body from one of the response stream. */
async function* chunksOf(body: ReadableStream<Uint8Array>, source: { failed: boolean }): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (error) {
      source.failed = true;
      throw error;
    }
    if (chunk.done) return;
    yield chunk.value;
  }
}

/**
 * The Lambda handler of buffered routes: the app's whole answer, as API Gateway's REST proxy result.
 * `c.env` is `{ event, requestContext, lambdaContext }`, as under hono's `handle()`. A body is sent
 * base64-encoded when it is not text (`isBase64Encoded`), or compressed.
 *
 * @example
 * // functions/products/handler.ts
 * export const handler = handle(app);
 */
export function handle(
  // biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its environment
  app: Hono<any>,
): (event: APIGatewayProxyEvent, context: LambdaContext) => Promise<APIGatewayProxyResult> {
  return async (event, lambdaContext) => {
    const res = await answerTo(app, event, lambdaContext, {
      event,
      requestContext: event.requestContext,
      lambdaContext,
    });
    const isBase64Encoded = isBinary(res.headers);
    const multiValueHeaders: Record<string, string[]> = {};
    res.headers.forEach((value, name) => {
      if (name !== "set-cookie") multiValueHeaders[name] = [value];
    });
    const cookies = res.headers.getSetCookie();
    if (cookies.length > 0) multiValueHeaders["set-cookie"] = cookies;
    const body = isBase64Encoded ? Buffer.from(await res.arrayBuffer()).toString("base64") : await res.text();
    return { statusCode: res.status, multiValueHeaders, body, isBase64Encoded };
  };
}

/** Media types whose bodies go to API Gateway as text; any other goes base64-encoded. */
const TEXT_MEDIA_TYPE =
  /^(?:text\/|application\/(?:javascript|x-ndjson|x-www-form-urlencoded)\s*(?:;|$))|[/+](?:json|xml)\s*(?:;|$)/i;

/** A body API Gateway must be handed base64-encoded: not text, or compressed. */
function isBinary(headers: Headers): boolean {
  const encoding = headers.get("content-encoding");
  if (encoding && !/^identity$/i.test(encoding)) return true;
  const type = headers.get("content-type");
  return type !== null && !TEXT_MEDIA_TYPE.test(type);
}

/**
 * The app's answer. Without the app: 400 problem+json to an event that holds no request Fetch can
 * carry; 500 problem+json, revealing nothing, if the app throws rather than answer (its middleware
 * answers every failure, so that would be a fault of the app's setup).
 */
async function answerTo(
  // biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its environment
  app: Hono<any>,
  event: APIGatewayProxyEvent,
  context: LambdaContext,
  env: LambdaBindings,
): Promise<Response> {
  const startedAt = performance.now();
  let request: Request;
  try {
    request = requestOf(event);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    // The app never runs, so nothing else sets this invocation's keys (none of the last one's stay)
    // or counts the request: both are done here, for the caller the authorizer named, if it did.
    const correlationId = eventCorrelationId(event);
    beginRequestLog(correlationId, context);
    const caller = authorizedCaller(event);
    if (caller) logger.appendKeys({ tenant_id: caller.id, tier: caller.tier, user_id: caller.userId });
    logger.warn("the request could not be read", { errors: error.errors });
    const problem = problemResponse(error, { [CORRELATION_HEADER]: correlationId });
    publishRequestMetrics({
      tenantId: caller?.id,
      tier: caller?.tier ?? NO_TIER,
      status: problem.status,
      latencyMs: performance.now() - startedAt,
    });
    return problem;
  }
  try {
    return await app.fetch(request, env);
  } catch (error) {
    logFailure(logger, "request failed", error);
    return problemResponse(toProblemError(error));
  }
}

/**
 * Appends a header, its value percent-encoded beyond ASCII as hono's adapters do (a `Headers` value
 * is a byte string); a value no header can carry (a line break, say) is a 400 naming the header.
 */
function appendHeader(headers: Headers, name: string, value: string): void {
  try {
    headers.append(name, /[\u0080-\uffff]/.test(value) ? encodeURIComponent(value) : value);
  } catch {
    throw new ValidationError([
      { location: "header", field: name, message: "holds characters an HTTP header cannot carry" },
    ]);
  }
}

/** A host name or address, with an optional port. */
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** Methods whose requests Fetch refuses to give a body. */
const BODYLESS_METHODS = new Set(["GET", "HEAD"]);

/**
 * The web `Request` of a REST API (v1) proxy event: multi-value headers and query parameters kept.
 *
 * @example
 * const res = await app.fetch(requestOf(event), { event, requestContext: event.requestContext, context });
 */
export function requestOf(event: APIGatewayProxyEvent): Request {
  const headers = new Headers();
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    for (const value of values ?? []) appendHeader(headers, name, value);
  }
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined && !headers.has(name)) appendHeader(headers, name, value);
  }
  const query = new URLSearchParams();
  if (event.multiValueQueryStringParameters) {
    for (const [name, values] of Object.entries(event.multiValueQueryStringParameters)) {
      for (const value of values ?? []) query.append(name, value);
    }
  } else {
    for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) query.append(name, value ?? "");
  }
  const given = event.requestContext?.domainName ?? headers.get("host");
  // API Gateway names its own domain; a client's Host (which a local gateway may pass on) is only
  // taken when it is a host: `x/y` would move the path, `a b` fail the request.
  const host = given && HOST.test(given) ? given : "localhost";
  const search = query.size > 0 ? `?${query}` : "";
  let body: Uint8Array<ArrayBuffer> | undefined;
  if (event.body && BODYLESS_METHODS.has(event.httpMethod)) {
    throw new ValidationError([
      { location: "body", field: "(root)", message: `is not allowed on a ${event.httpMethod} request` },
    ]);
  }
  if (event.body) {
    body = event.isBase64Encoded
      ? new Uint8Array(Buffer.from(event.body, "base64"))
      : new TextEncoder().encode(event.body);
    headers.set("content-length", String(body.length));
  }
  const init = { method: event.httpMethod, headers, body };
  try {
    return new Request(`https://${host}${event.path}${search}`, init);
  } catch (error) {
    // A host of the right characters that is still none (a port over 65535, an address of 999s).
    if (host === "localhost") throw error;
    return new Request(`https://localhost${event.path}${search}`, init);
  }
}
