/** Builds the events API Gateway (REST) sends to Lambda: the v1 proxy event and the REQUEST authorizer event. */
import { createHash } from "node:crypto";
import type {
  APIGatewayEventRequestContextWithAuthorizer,
  APIGatewayProxyEvent,
  APIGatewayRequestAuthorizerEvent,
} from "aws-lambda";
import type { ApiRoute } from "../template.ts";
import type { RestApi } from "./rest-api.ts";

/** One HTTP request as the gateway received it. */
export interface ApiRequest {
  /** API Gateway's request id, also sent back as `x-amzn-requestid` */
  requestId: string;
  /** e.g. `Root=1-67a1b2c3-0123456789abcdef01234567`, as in `X-Amzn-Trace-Id` */
  traceId: string;
  method: string;
  /** the path as sent, still percent-encoded (API Gateway REST does not decode it), without the query */
  path: string;
  /** what follows `?`, without it */
  rawQuery: string;
  /** Node's `rawHeaders`: name, value, name, value... with the client's spelling */
  rawHeaders: string[];
  body: Buffer;
  sourceIp: string;
  /** the gateway's own port, for `X-Forwarded-Port` */
  localPort: number;
  receivedAt: Date;
}

/** The route a request matched and the values of its path parameters. */
export interface MatchedRoute {
  route: ApiRoute;
  pathParameters: Record<string, string> | null;
}

/** Header and query maps in both of API Gateway's shapes: last value, and every value. */
interface SingleAndMultiValue {
  single: Record<string, string>;
  multi: Record<string, string[]>;
}

function singleAndMultiValue(pairs: [string, string][]): SingleAndMultiValue {
  // No prototype: a parameter named `__proto__` or `constructor` is just a name.
  const single: Record<string, string> = Object.create(null);
  const multi: Record<string, string[]> = Object.create(null);
  for (const [name, value] of pairs) {
    single[name] = value;
    multi[name] = [...(multi[name] ?? []), value];
  }
  return { single, multi };
}

/** The client's headers plus those API Gateway adds, keeping the client's spelling of names. */
function requestHeaders(request: ApiRequest): SingleAndMultiValue {
  const pairs: [string, string][] = [];
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    pairs.push([request.rawHeaders[index] ?? "", request.rawHeaders[index + 1] ?? ""]);
  }
  const sentForwardedFor = pairs.find(([name]) => name.toLowerCase() === "x-forwarded-for")?.[1];
  const withoutReplaced = pairs.filter(([name]) => !/^x-forwarded-(for|port|proto)$|^x-amzn-trace-id$/i.test(name));
  return singleAndMultiValue([
    ...withoutReplaced,
    ["X-Amzn-Trace-Id", request.traceId],
    ["X-Forwarded-For", sentForwardedFor ? `${sentForwardedFor}, ${request.sourceIp}` : request.sourceIp],
    ["X-Forwarded-Port", String(request.localPort)],
    ["X-Forwarded-Proto", "http"],
  ]);
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.entries(headers).find(([key]) => key.toLowerCase() === lower)?.[1];
}

/** The value of a request header, whatever the case of its name; undefined when absent. */
export function requestHeader(request: ApiRequest, name: string): string | undefined {
  return headerValue(requestHeaders(request).single, name);
}

function queryParameters(rawQuery: string): SingleAndMultiValue | undefined {
  const pairs = [...new URLSearchParams(rawQuery)];
  return pairs.length > 0 ? singleAndMultiValue(pairs) : undefined;
}

const textContentType = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded|[\w.+-]+\+(json|xml))\b)/i;

/** Text bodies go to Lambda as they are; other content types as base64, flagged `isBase64Encoded`. */
function eventBody(
  request: ApiRequest,
  headers: Record<string, string>,
): { body: string | null; isBase64Encoded: boolean } {
  if (request.body.length === 0) return { body: null, isBase64Encoded: false };
  const contentType = headerValue(headers, "content-type");
  if (contentType === undefined || textContentType.test(contentType)) {
    return { body: request.body.toString("utf8"), isBase64Encoded: false };
  }
  return { body: request.body.toString("base64"), isBase64Encoded: true };
}

/** `09/Apr/2015:12:34:56 +0000`, the format of `requestContext.requestTime` */
function requestTime(date: Date): string {
  const [, day, month, year, time] = date.toUTCString().split(" "); // "Thu, 09 Apr 2015 12:34:56 GMT"
  return `${day}/${month}/${year}:${time} +0000`;
}

function requestContext(
  api: RestApi,
  request: ApiRequest,
  resourcePath: string,
  headers: Record<string, string>,
): APIGatewayEventRequestContextWithAuthorizer<undefined> {
  const domainName = headerValue(headers, "host") ?? "localhost";
  return {
    accountId: api.accountId,
    apiId: api.apiId,
    authorizer: undefined,
    domainName,
    domainPrefix: domainName.split(".")[0],
    extendedRequestId: createHash("sha256").update(request.requestId).digest("base64").slice(0, 16),
    httpMethod: request.method,
    identity: {
      accessKey: null,
      accountId: null,
      apiKey: null,
      apiKeyId: null,
      caller: null,
      clientCert: null,
      cognitoAuthenticationProvider: null,
      cognitoAuthenticationType: null,
      cognitoIdentityId: null,
      cognitoIdentityPoolId: null,
      principalOrgId: null,
      sourceIp: request.sourceIp,
      user: null,
      userAgent: headerValue(headers, "user-agent") ?? null,
      userArn: null,
    },
    path: `/${api.stage}${request.path}`,
    protocol: "HTTP/1.1",
    requestId: request.requestId,
    requestTime: requestTime(request.receivedAt),
    requestTimeEpoch: request.receivedAt.getTime(),
    // API Gateway's resource ids are short and stable per resource.
    resourceId: createHash("sha256").update(resourcePath).digest("hex").slice(0, 6),
    resourcePath,
    stage: api.stage,
  };
}

/** What the authorizer's event and the proxy event share: the request as API Gateway describes it. */
function describedRequest(api: RestApi, request: ApiRequest, { route, pathParameters }: MatchedRoute) {
  const headers = requestHeaders(request);
  const query = queryParameters(request.rawQuery);
  return {
    headers,
    common: {
      resource: route.path,
      path: request.path,
      httpMethod: request.method,
      headers: headers.single,
      multiValueHeaders: headers.multi,
      queryStringParameters: query?.single ?? null,
      multiValueQueryStringParameters: query?.multi ?? null,
      pathParameters,
      stageVariables: null,
      requestContext: requestContext(api, request, route.path, headers.single),
    },
  };
}

/** The event of a REQUEST authorizer (`methodArn` names the method being called). */
export function buildAuthorizerEvent(
  api: RestApi,
  request: ApiRequest,
  matched: MatchedRoute,
  methodArn: string,
): APIGatewayRequestAuthorizerEvent {
  return { type: "REQUEST", methodArn, ...describedRequest(api, request, matched).common };
}

/**
 * The REST API Lambda proxy (payload v1) event.
 * @param authorizer what the authorizer put in `requestContext.authorizer` (its context, principalId, integrationLatency)
 */
export function buildProxyEvent(
  api: RestApi,
  request: ApiRequest,
  matched: MatchedRoute,
  authorizer?: Record<string, string | number>,
): APIGatewayProxyEvent {
  const { headers, common } = describedRequest(api, request, matched);
  return {
    ...common,
    requestContext: { ...common.requestContext, authorizer },
    ...eventBody(request, headers.single),
  };
}
