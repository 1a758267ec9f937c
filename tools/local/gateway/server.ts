/** The local REST API gateway: an HTTP server that routes, authorizes and invokes the template's functions. */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { type ApiRoute, apiRoutes, authorizers, type ResolveContext, type Template } from "../template.ts";
import { type GatewayHttpResponse, problemResponse } from "./http-response.ts";
import type { InvocationOutcome, LogSink, ResponseStreamSink } from "./lambda-worker-process.ts";
import { printFunctionLog } from "./lambda-worker-process.ts";
import { createLocalLambda, type LocalLambda } from "./local-lambda.ts";
import { type ApiRequest, buildProxyEvent, type MatchedRoute } from "./proxy-event.ts";
import { proxyResultToResponse } from "./proxy-result.ts";
import { type AuthorizerDecision, createRequestAuthorizer } from "./request-authorizer.ts";
import { type GatewayRefusal, gatewayResponse, readRestApi } from "./rest-api.ts";
import { matchRoute } from "./routes.ts";
import { LAMBDA_STREAM_BANDWIDTH, type StreamBandwidthLimits, streamPace } from "./stream-bandwidth.ts";

/** API Gateway's payload limit. */
const maxBodyBytes = 10 * 1024 * 1024;

export interface GatewayOptions {
  template: Template;
  /** where the build put `<FunctionLogicalId>/` and `<LayerLogicalId>/nodejs/node_modules/` */
  buildDir: string;
  /** what the template's `Ref`/`GetAtt` resolve to locally; `AWS::Region`/`AWS::AccountId` name the ARNs */
  resolveContext: ResolveContext;
  /** added to every function's environment, e.g. AWS_ENDPOINT_URL and credentials */
  extraEnv?: Record<string, string>;
  /** default 3000; 0 picks a free port */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** default: the Api's resolved StageName */
  stage?: string;
  /** workers per function, default 4 */
  maxConcurrency?: number;
  /** receives the functions' log lines; default: printed with the function id as prefix */
  log?: LogSink;
  /** the pace of streamed responses: default Lambda's (6 MB uncapped, then 2 MB/s); false for none */
  streamBandwidth?: StreamBandwidthLimits | false;
  /**
   * Called for every request the authorizer allowed (decision) or that needs no authorizer
   * (undefined), before the function runs: return a refusal (`THROTTLED` by a usage plan or a
   * method throttle, say) to answer with it, as the template's `GatewayResponses` shape it.
   */
  admit?: (
    route: ApiRoute,
    decision: AuthorizerDecision | undefined,
  ) => GatewayRefusal | undefined | Promise<GatewayRefusal | undefined>;
  /**
   * Routes the gateway answers itself, not part of the API and not in the template (the local
   * stack's `/openapi.json` and `/docs`): return a response to answer, undefined to route as usual.
   */
  localRoutes?: (
    method: string,
    path: string,
  ) => GatewayHttpResponse | undefined | Promise<GatewayHttpResponse | undefined>;
}

export interface Gateway {
  /** e.g. `http://127.0.0.1:3000` (paths start right after it; the stage is not part of the URL) */
  url: string;
  port: number;
  /** the function workers, to invoke functions outside HTTP (event sources) */
  lambda: LocalLambda;
  /** stops listening, drops open connections and kills every worker */
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Read to the end even when too large, so the client gets the 413 instead of a reset connection.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= maxBodyBytes) chunks.push(chunk);
  }
  return size <= maxBodyBytes ? Buffer.concat(chunks) : undefined;
}

function send(res: ServerResponse, { statusCode, headers = {}, body = "" }: GatewayHttpResponse) {
  res.writeHead(statusCode, headers);
  res.end(body);
}

type FailedOutcome = Extract<InvocationOutcome, { status: "failed" | "timed-out" | "crashed" }>;

/** A 502 the gateway answers for a function that failed or answered what it cannot use. */
const badGateway = (detail: string): GatewayRefusal => ({ type: "DEFAULT_5XX", status: 502, detail });

/** The gateway's answer when an invocation went wrong: 504 for a timeout, 502 otherwise (as API Gateway). */
function invocationFailure(outcome: FailedOutcome, functionId: string): GatewayRefusal {
  switch (outcome.status) {
    case "failed":
      return badGateway(`${functionId} failed: ${outcome.error.errorType}: ${outcome.error.errorMessage}`);
    case "timed-out":
      return {
        type: "INTEGRATION_TIMEOUT",
        status: 504,
        detail: `${functionId} timed out after ${outcome.timeoutSeconds} s.`,
      };
    case "crashed":
      return badGateway(
        `${functionId}'s process exited during the invocation (code ${outcome.exitCode}, signal ${outcome.signal}).`,
      );
  }
}

/** Renders a refusal of the request being answered, as the template's `GatewayResponses` shape it. */
type Refuse = (refusal: GatewayRefusal) => GatewayHttpResponse;

function bufferedResponse(outcome: InvocationOutcome, functionId: string, refuse: Refuse): GatewayHttpResponse {
  switch (outcome.status) {
    case "succeeded": {
      const conversion = proxyResultToResponse(outcome.payload);
      if (conversion.ok) return conversion.response;
      return refuse(badGateway(`Malformed Lambda proxy response from ${functionId}: ${conversion.reason}.`));
    }
    case "streamed":
      return refuse(badGateway(`${functionId} streamed its response, but this route is not RESPONSE_STREAM.`));
    default:
      return refuse(invocationFailure(outcome, functionId));
  }
}

/**
 * Writes a streaming handler's status and headers as soon as they come, then each chunk in order,
 * at Lambda's pace (`bandwidth`) and no faster than the client takes them: a chunk counts as
 * delivered (and the worker may send more) once the socket has taken it. `delivered` settles once
 * the end has been written, or the client has gone.
 */
function streamTo(
  res: ServerResponse,
  functionId: string,
  bandwidth: StreamBandwidthLimits | undefined,
  refuse: Refuse,
): ResponseStreamSink & { delivered: Promise<void> } {
  const pace = bandwidth && streamPace(bandwidth);
  let queue = Promise.resolve();
  /** settles once the last chunk written has left for the socket, so that cutting the body short keeps it */
  let lastFlush = Promise.resolve();
  const writable = () => res.headersSent && !res.writableEnded && !res.destroyed;
  const closed = new Promise<void>((resolve) => res.once("close", () => resolve()));
  const deliver = async (chunk: Buffer) => {
    // Body bytes before any metadata are not a valid streaming response (the outcome answers 502);
    // nor is anything delivered, or held, once the client has gone.
    if (!writable()) return;
    const delay = pace?.delayMs(chunk.length, Date.now()) ?? 0;
    if (delay > 0) await sleep(delay);
    if (!writable()) return;
    let flushed = () => {};
    lastFlush = new Promise((resolve) => {
      flushed = resolve;
    });
    if (res.write(chunk, () => flushed())) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off("drain", done);
        res.off("close", done);
        resolve();
      };
      res.on("drain", done);
      res.on("close", done);
    });
  };
  return {
    get delivered() {
      return queue.then(() => Promise.race([lastFlush, closed]));
    },
    onMetadata({ statusCode = 200, headers = {}, cookies = [] }) {
      if (res.headersSent) return;
      try {
        res.writeHead(statusCode, cookies.length > 0 ? { ...headers, "set-cookie": cookies } : headers);
        res.flushHeaders();
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        send(res, refuse(badGateway(`${functionId} sent invalid HttpResponseStream.from metadata: ${reason}`)));
      }
    },
    onChunk(chunk) {
      queue = queue.then(() => deliver(chunk));
      return queue;
    },
    onEnd() {
      queue = queue.then(() => {
        if (res.headersSent && !res.writableEnded) res.end();
      });
    },
  };
}

/** Finishes a streaming route's response once the invocation is over, if the stream did not. */
function finishStreamedResponse(res: ServerResponse, outcome: InvocationOutcome, functionId: string, refuse: Refuse) {
  if (res.headersSent) {
    // Too late for an error status: cut the chunked body short so the client sees it is incomplete.
    if (!res.writableEnded) res.destroy();
    return;
  }
  switch (outcome.status) {
    case "succeeded":
      return send(res, refuse(badGateway(`${functionId} is not wrapped in awslambda.streamifyResponse.`)));
    case "streamed":
      return send(
        res,
        refuse(
          badGateway(
            `${functionId} sent no status and headers: it never called HttpResponseStream.from, or ended the stream without a write (Lambda sends them with the first write; on AWS this would be a bare 200).`,
          ),
        ),
      );
    default:
      return send(res, refuse(invocationFailure(outcome, functionId)));
  }
}

/**
 * Starts the gateway.
 *
 * @example
 * const gateway = await startGateway({ template: loadTemplate(), buildDir, resolveContext, extraEnv: localAwsEnv(endpoint) });
 * await fetch(`${gateway.url}/products`, { headers: { authorization: `Bearer ${token}` } });
 * await gateway.close();
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { template, resolveContext, admit, log = printFunctionLog } = options;
  const streamBandwidth =
    options.streamBandwidth === false ? undefined : (options.streamBandwidth ?? LAMBDA_STREAM_BANDWIDTH);
  const routes = apiRoutes(template);
  const api = readRestApi(template, resolveContext, options.stage);
  const lambda = createLocalLambda({ ...options, log });
  const authorize = createRequestAuthorizer({ api, authorizers: authorizers(template), resolveContext, lambda });

  async function invokeRoute(request: ApiRequest, matched: MatchedRoute, res: ServerResponse, refuse: Refuse) {
    let authorizerContext: Record<string, string | number> | undefined;
    let decision: AuthorizerDecision | undefined;
    if (matched.route.authorizer) {
      const result = await authorize(matched.route.authorizer, request, matched);
      if (!result.allowed) return send(res, result.response);
      decision = result.decision;
      const { context, principalId } = result.decision;
      authorizerContext = { ...context, principalId, integrationLatency: result.integrationLatency };
    }
    const refusal = await admit?.(matched.route, decision);
    if (refusal) return send(res, refuse(refusal));
    const event = buildProxyEvent(api, request, matched, authorizerContext);
    const { functionId, streaming } = matched.route;
    if (!streaming) return send(res, bufferedResponse(await lambda.invoke(functionId, event), functionId, refuse));
    const sink = streamTo(res, functionId, streamBandwidth, refuse);
    const outcome = await lambda.invoke(functionId, event, sink);
    await sink.delivered;
    finishStreamedResponse(res, outcome, functionId, refuse);
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const receivedAt = new Date();
    const requestId = randomUUID();
    res.setHeader("x-amzn-RequestId", requestId);
    const rawUrl = req.url ?? "/";
    const queryStart = rawUrl.indexOf("?");
    const path = queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart);
    const method = req.method ?? "GET";
    if (method === "GET" && path === "/health") return send(res, { statusCode: 200, body: '{"status":"ok"}' });
    const local = await options.localRoutes?.(method, path);
    if (local) return send(res, local);

    const request: ApiRequest = {
      requestId,
      traceId: `Root=1-${Math.floor(receivedAt.getTime() / 1000).toString(16)}-${randomBytes(12).toString("hex")}`,
      method,
      path,
      rawQuery: queryStart === -1 ? "" : rawUrl.slice(queryStart + 1),
      rawHeaders: req.rawHeaders,
      body: Buffer.alloc(0),
      sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
      localPort: req.socket.localPort ?? 0,
      receivedAt,
    };
    const refuse: Refuse = (refusal) => gatewayResponse(api, refusal, request);
    const match = matchRoute(routes, method, path);
    // API Gateway answers both as MISSING_AUTHENTICATION_TOKEN: 403 unless the template says otherwise.
    if (match.kind !== "matched") {
      const detail =
        match.kind === "not-found"
          ? `No resource matches ${path}.`
          : `${path} accepts ${match.allowedMethods.join(", ")}, not ${method}.`;
      return send(res, refuse({ type: "MISSING_AUTHENTICATION_TOKEN", status: 403, detail }));
    }
    const body = await readBody(req);
    if (!body) {
      const detail = `The request body exceeds ${maxBodyBytes} bytes.`;
      return send(res, refuse({ type: "REQUEST_TOO_LARGE", status: 413, detail }));
    }
    await invokeRoute({ ...request, body }, match, res, refuse);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const detail = error instanceof Error ? error.message : String(error);
      log({ functionId: "local-gateway", stream: "stderr", line: `${req.method} ${req.url}: ${detail}` });
      if (res.headersSent) res.destroy();
      else send(res, problemResponse(500, detail));
    });
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 3000, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    lambda,
    close: async () => {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await closed;
      await lambda.close();
    },
  };
}
