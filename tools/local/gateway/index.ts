/**
 * The Docker-free local API Gateway (REST API, v1 proxy events). `startGateway` serves the routes of
 * template.yaml over HTTP: it matches resources as API Gateway does, runs the REQUEST authorizer
 * (identity check, IAM policy, decision cache), builds the proxy event and invokes
 * the function's built bundle in a Lambda-like worker process, buffered or streamed
 * (`awslambda.streamifyResponse`). `createLocalLambda` gives the same workers without HTTP, for event
 * sources. The gateway's own errors take the template's `GatewayResponses` (else they are
 * `application/problem+json`).
 *
 * @module
 */
export { type FunctionConfig, functionConfig, parseHandler } from "./function-config.ts";
export { FunctionPool, type FunctionPoolOptions } from "./function-pool.ts";
export type { GatewayHttpResponse } from "./http-response.ts";
export {
  type FunctionLogLine,
  type InvocationOutcome,
  type LogSink,
  printFunctionLog,
  type ResponseStreamSink,
} from "./lambda-worker-process.ts";
export { createLocalLambda, type LocalLambda, type LocalLambdaOptions } from "./local-lambda.ts";
export type { AuthorizerDecision } from "./request-authorizer.ts";
export type { GatewayRefusal } from "./rest-api.ts";
export { type Gateway, type GatewayOptions, startGateway } from "./server.ts";
export type { LambdaError, StreamMetadata } from "./worker-protocol.ts";
