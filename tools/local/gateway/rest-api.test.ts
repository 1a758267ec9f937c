import { describe, expect, it } from "vitest";
import { loadTemplate } from "../template.ts";
import type { ApiRequest } from "./proxy-event.ts";
import { gatewayResponse, readRestApi } from "./rest-api.ts";
import { fixtureResolveContext, fixtureTemplate } from "./test-support.ts";

describe("readRestApi", () => {
  it("takes the API id from the resolve context and the stage from StageName", () => {
    expect(readRestApi(fixtureTemplate(), fixtureResolveContext())).toMatchObject({
      apiId: "fixtureapi",
      stage: "local",
      region: "eu-west-1",
      accountId: "111122223333",
    });
  });

  it("lets the caller choose the stage", () => {
    expect(readRestApi(fixtureTemplate(), fixtureResolveContext(), "dev").stage).toBe("dev");
  });
});

describe("gatewayResponse", () => {
  const api = readRestApi(fixtureTemplate(), fixtureResolveContext());

  it("answers with the template's GatewayResponses, static header values unquoted", () => {
    const response = gatewayResponse(api, { type: "UNAUTHORIZED", status: 401, detail: "unused" });

    expect(response.statusCode).toBe(401);
    expect(response.headers).toEqual({ "content-type": "application/problem+json", "www-authenticate": "Bearer" });
    expect(JSON.parse(String(response.body))).toEqual({
      type: "about:blank",
      title: "Unauthorized",
      status: 401,
      detail: "A valid bearer token is required.",
    });
  });

  it("copies a request header a response parameter maps, and leaves it out when the request has none", () => {
    const request = (rawHeaders: string[]): ApiRequest => ({
      requestId: "request-1",
      traceId: "Root=1-00000000-000000000000000000000000",
      method: "GET",
      path: "/products",
      rawQuery: "",
      rawHeaders,
      body: Buffer.alloc(0),
      sourceIp: "127.0.0.1",
      localPort: 3000,
      receivedAt: new Date(0),
    });
    const unauthorized = { type: "UNAUTHORIZED", status: 401, detail: "unused" };

    const echoed = gatewayResponse(api, unauthorized, request(["x-correlation-id", "abc-123"]));
    const absent = gatewayResponse(api, unauthorized, request(["Host", "localhost"]));

    expect(echoed.headers).toMatchObject({ "x-correlation-id": "abc-123", "www-authenticate": "Bearer" });
    expect(absent.headers).not.toHaveProperty("x-correlation-id");
  });

  it("falls back to a problem+json when the template does not customise the type", () => {
    const response = gatewayResponse(api, {
      type: "AUTHORIZER_FAILURE",
      status: 500,
      detail: "The authorizer failed.",
    });

    expect(response.statusCode).toBe(500);
    expect(response.headers).toEqual({ "content-type": "application/problem+json" });
    expect(JSON.parse(String(response.body))).toMatchObject({ status: 500, detail: "The authorizer failed." });
  });
});

describe("the template's GatewayResponses", () => {
  const api = readRestApi(loadTemplate(), fixtureResolveContext());

  it("make every answer of the gateway's own problem+json, echoing the caller's X-Correlation-Id", () => {
    expect(Object.keys(api.gatewayResponses)).toEqual(
      expect.arrayContaining(["UNAUTHORIZED", "ACCESS_DENIED", "THROTTLED", "DEFAULT_4XX", "DEFAULT_5XX"]),
    );
    for (const [type, configured] of Object.entries(api.gatewayResponses)) {
      expect(configured.ResponseParameters.Headers, type).toMatchObject({
        "Content-Type": "'application/problem+json'",
        "X-Correlation-Id": "method.request.header.X-Correlation-Id",
      });
      const body = JSON.parse(
        configured.ResponseTemplates["application/json"].replace("$context.error.messageString", '"m"'),
      );
      expect(body, type).toMatchObject({ type: "about:blank", title: expect.any(String), detail: expect.any(String) });
    }
  });

  it("put the gateway's message in DEFAULT_5XX's detail, quoted as API Gateway quotes it", () => {
    const response = gatewayResponse(api, { type: "DEFAULT_5XX", status: 502, detail: 'products failed: "boom"' });

    expect(response.statusCode).toBe(502);
    expect(JSON.parse(String(response.body))).toEqual({
      type: "about:blank",
      title: "Gateway error",
      detail: 'products failed: "boom"',
    });
  });

  it("answer a type they do not name with the default of its status class, as API Gateway does", () => {
    const response = gatewayResponse(api, { type: "UNSUPPORTED_MEDIA_TYPE", status: 415, detail: "Unsupported" });

    expect(response.statusCode).toBe(415);
    expect(JSON.parse(String(response.body))).toMatchObject({ title: "Request refused", detail: "Unsupported" });
  });
});
