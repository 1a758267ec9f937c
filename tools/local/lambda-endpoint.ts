/**
 * Lambda's Invoke API for the local stack's functions, on loopback only: what moto calls to run the
 * user pool's pre-token-generation trigger (tools/local/moto_server.py), as Cognito calls Lambda.
 * The API's routes never reach it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { LocalLambda } from "./gateway/index.ts";
import { type ResolveContext, resourcesOfType, type Template } from "./template.ts";

export interface LambdaEndpoint {
  /** e.g. `http://127.0.0.1:5124`; moto gets it as TENANTKIT_LAMBDA_ENDPOINT */
  url: string;
  /** Starts answering with the template's functions; invocations that came before wait for it. */
  serve(template: Template, context: ResolveContext, lambda: LocalLambda): void;
  close(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

interface Functions {
  /** function name or ARN -> logical id */
  ids: Map<string, string>;
  lambda: LocalLambda;
}

/**
 * Listens on a free loopback port. Answers as Lambda's `Invoke` (RequestResponse) does: the
 * handler's result as the body; a failure as `X-Amz-Function-Error: Unhandled` with its
 * `errorType` and `errorMessage`; an unknown function as 404 `ResourceNotFoundException`.
 *
 * @example
 * const endpoint = await startLambdaEndpoint();
 * const moto = await startMoto({ lambdaEndpoint: endpoint.url });
 * // ... provision, start the gateway ...
 * endpoint.serve(template, context, gateway.lambda);
 */
export async function startLambdaEndpoint(host = "127.0.0.1"): Promise<LambdaEndpoint> {
  let serve!: (functions: Functions) => void;
  const served = new Promise<Functions>((resolve) => {
    serve = resolve;
  });
  const server = createServer((req, res) => {
    answer(req, res, served).catch((error: Error) => send(res, 500, { message: error.message }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    serve(template, context, lambda) {
      const ids = new Map<string, string>();
      for (const [id] of resourcesOfType(template, "AWS::Serverless::Function")) {
        for (const key of [context.refs[id], context.attributes[`${id}.Arn`]]) if (key) ids.set(key, id);
      }
      serve({ ids, lambda });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function answer(req: IncomingMessage, res: ServerResponse, served: Promise<Functions>): Promise<void> {
  const match = INVOKE_PATH.exec(req.url ?? "");
  if (req.method !== "POST" || !match) return send(res, 404, { message: "not Lambda's Invoke API" });
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const { ids, lambda } = await served;
  const name = decodeURIComponent(match[1] as string);
  const functionId = ids.get(name);
  if (!functionId) {
    return send(res, 404, { Type: "User", message: `Function not found: ${name}` }, "ResourceNotFoundException");
  }
  const event = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {};
  const outcome = await lambda.invoke(functionId, event);
  if (outcome.status === "succeeded") return send(res, 200, outcome.payload ?? null);
  const error =
    outcome.status === "failed"
      ? outcome.error
      : { errorType: "Runtime.ExitError", errorMessage: `${functionId}: the invocation ${outcome.status}` };
  res.setHeader("X-Amz-Function-Error", "Unhandled");
  return send(res, 200, error);
}

function send(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  res.writeHead(status, {
    "Content-Type": "application/json",
    ...(errorType && { "X-Amzn-ErrorType": errorType }),
  });
  res.end(JSON.stringify(body));
}
