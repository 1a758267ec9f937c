/** API Gateway REST (v1) proxy events for in-process and cold-start invocations, shaped like events/products-list.json. */
import { readFileSync } from "node:fs";
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent, Context } from "aws-lambda";
import { repoRoot } from "../../tools/local/template.ts";

const sample = JSON.parse(readFileSync(`${repoRoot}events/products-list.json`, "utf8")) as APIGatewayProxyEvent;
const authorizerSample = JSON.parse(
  readFileSync(`${repoRoot}events/authorizer-request.json`, "utf8"),
) as APIGatewayRequestAuthorizerEvent;

export interface RestEventOptions {
  method?: string;
  /** the request path, e.g. `/products/123` */
  path: string;
  /** the API resource, e.g. `/products/{id}` (defaults to the path) */
  resource?: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** the Lambda authorizer's context; without it the function must verify a bearer token itself */
  authorizer?: { tenantId: string; tier: string; userId: string; roles: string };
}

/** A REST proxy event as API Gateway sends it after the authorizer (or without one). */
export function restEvent(options: RestEventOptions): APIGatewayProxyEvent {
  const method = options.method ?? "GET";
  const headers = { ...sample.headers, ...options.headers } as Record<string, string>;
  const query = options.query ?? null;
  const requestContext = {
    ...sample.requestContext,
    httpMethod: method,
    resourcePath: options.resource ?? options.path,
  };
  requestContext.path = `/${requestContext.stage}${options.path}`;
  if (options.authorizer) {
    requestContext.authorizer = {
      principalId: options.authorizer.userId,
      integrationLatency: 12,
      ...options.authorizer,
    };
  } else {
    delete (requestContext as { authorizer?: unknown }).authorizer;
  }
  return {
    ...sample,
    resource: options.resource ?? options.path,
    path: options.path,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: query,
    multiValueQueryStringParameters: query && Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])),
    pathParameters: options.pathParameters ?? null,
    requestContext,
  };
}

/** A REQUEST authorizer event for GET /products, with or without a bearer token. */
export function authorizerEvent(token: string | undefined): APIGatewayRequestAuthorizerEvent {
  const headers: Record<string, string> = { Host: authorizerSample.headers?.Host ?? "localhost" };
  if (token) headers.Authorization = `Bearer ${token}`;
  return {
    ...authorizerSample,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
  };
}

/** The Lambda context object the runtime passes. */
export function lambdaContext(functionName = "bench"): Context {
  return {
    awsRequestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: "1024",
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "2026/01/01/[$LATEST]bench",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 29_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** The authorizer context of a bench tenant. */
export const benchAuthorizer = (tenantId: string) => ({
  tenantId,
  tier: "basic",
  userId: "3f2a7c1e-0000-4000-8000-000000000001",
  roles: "tenant-admin",
});
