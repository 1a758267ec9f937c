import { describe, expect, it } from "vitest";
import type { ApiRoute } from "../template.ts";
import { type ApiRequest, buildAuthorizerEvent, buildProxyEvent, type MatchedRoute } from "./proxy-event.ts";
import type { RestApi } from "./rest-api.ts";

const api: RestApi = {
  apiId: "abc123",
  stage: "dev",
  region: "eu-west-1",
  accountId: "111122223333",
  gatewayResponses: {},
};

const route: ApiRoute = {
  functionId: "ProductsFunction",
  eventId: "GetProduct",
  method: "GET",
  path: "/products/{id}",
  streaming: false,
  authorizer: "TenantAuthorizer",
};
const matched: MatchedRoute = { route, pathParameters: { id: "42" } };

const request = (overrides: Partial<ApiRequest> = {}): ApiRequest => ({
  requestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
  traceId: "Root=1-5759e988-bd862e3fe1be46a994272793",
  method: "GET",
  path: "/products/42",
  rawQuery: "",
  rawHeaders: ["Host", "127.0.0.1:3000", "User-Agent", "vitest", "Accept", "a/b", "accept", "c/d"],
  body: Buffer.alloc(0),
  sourceIp: "127.0.0.1",
  localPort: 3000,
  receivedAt: new Date(Date.UTC(2015, 3, 9, 12, 34, 56)),
  ...overrides,
});

describe("buildProxyEvent", () => {
  it("describes the resource, the path and the stage as API Gateway does", () => {
    const event = buildProxyEvent(api, request(), matched);

    expect(event).toMatchObject({
      resource: "/products/{id}",
      path: "/products/42",
      httpMethod: "GET",
      pathParameters: { id: "42" },
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
      requestContext: {
        accountId: "111122223333",
        apiId: "abc123",
        stage: "dev",
        resourcePath: "/products/{id}",
        path: "/dev/products/42",
        httpMethod: "GET",
        protocol: "HTTP/1.1",
        domainName: "127.0.0.1:3000",
        requestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        requestTime: "09/Apr/2015:12:34:56 +0000",
        requestTimeEpoch: Date.UTC(2015, 3, 9, 12, 34, 56),
        identity: { sourceIp: "127.0.0.1", userAgent: "vitest", apiKey: null },
      },
    });
    expect(event.requestContext.resourceId).toMatch(/^[0-9a-f]{6}$/);
  });

  it("keeps the last value in headers and every value in multiValueHeaders, adding API Gateway's own", () => {
    const event = buildProxyEvent(api, request(), matched);

    expect(event.headers).toMatchObject({ Accept: "a/b", accept: "c/d", "User-Agent": "vitest" });
    expect(event.headers).toMatchObject({
      "X-Forwarded-For": "127.0.0.1",
      "X-Forwarded-Port": "3000",
      "X-Forwarded-Proto": "http",
      "X-Amzn-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793",
    });
    expect(event.multiValueHeaders.Host).toEqual(["127.0.0.1:3000"]);
  });

  it("appends the source address to a forwarded-for header the client sent", () => {
    const event = buildProxyEvent(api, request({ rawHeaders: ["X-Forwarded-For", "203.0.113.9"] }), matched);

    expect(event.headers["X-Forwarded-For"]).toBe("203.0.113.9, 127.0.0.1");
  });

  it("gives null query maps without a query, and the last and every value with one", () => {
    expect(buildProxyEvent(api, request(), matched)).toMatchObject({
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
    });
    expect(buildProxyEvent(api, request({ rawQuery: "tag=a&tag=b%20c&limit=5" }), matched)).toMatchObject({
      queryStringParameters: { tag: "b c", limit: "5" },
      multiValueQueryStringParameters: { tag: ["a", "b c"], limit: ["5"] },
    });
  });

  it("passes a text body as it is and any other body as base64", () => {
    const json = request({ rawHeaders: ["Content-Type", "application/json"], body: Buffer.from('{"a":1}') });
    const png = request({ rawHeaders: ["Content-Type", "image/png"], body: Buffer.from([137, 80, 78, 71]) });

    expect(buildProxyEvent(api, json, matched)).toMatchObject({ body: '{"a":1}', isBase64Encoded: false });
    expect(buildProxyEvent(api, png, matched)).toMatchObject({ body: "iVBORw==", isBase64Encoded: true });
  });

  it("puts the authorizer's output in requestContext.authorizer", () => {
    const authorizer = { tenantId: "t-1", principalId: "user-1", integrationLatency: 12 };

    expect(buildProxyEvent(api, request(), matched, authorizer).requestContext.authorizer).toEqual(authorizer);
  });
});

describe("buildAuthorizerEvent", () => {
  it("builds a REQUEST authorizer event for the method ARN", () => {
    const arn = "arn:aws:execute-api:eu-west-1:111122223333:abc123/dev/GET/products/42";

    const event = buildAuthorizerEvent(api, request({ rawQuery: "a=1" }), matched, arn);

    expect(event).toMatchObject({
      type: "REQUEST",
      methodArn: arn,
      resource: "/products/{id}",
      path: "/products/42",
      httpMethod: "GET",
      queryStringParameters: { a: "1" },
      pathParameters: { id: "42" },
      requestContext: { resourcePath: "/products/{id}", stage: "dev" },
    });
    expect(event.headers).toMatchObject({ Host: "127.0.0.1:3000" });
    expect(event.requestContext.authorizer).toBeUndefined();
  });
});
