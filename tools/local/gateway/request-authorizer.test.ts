import type { APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import type { ApiRoute, AuthorizerConfig } from "../template.ts";
import type { InvocationOutcome } from "./lambda-worker-process.ts";
import type { LocalLambda } from "./local-lambda.ts";
import type { ApiRequest, MatchedRoute } from "./proxy-event.ts";
import { createRequestAuthorizer } from "./request-authorizer.ts";
import { readRestApi } from "./rest-api.ts";
import { fixtureResolveContext, fixtureTemplate } from "./test-support.ts";

const api = readRestApi(fixtureTemplate(), fixtureResolveContext());
const stageArn = "arn:aws:execute-api:eu-west-1:111122223333:fixtureapi/local";

const route = (method: string, path: string): MatchedRoute => {
  const apiRoute: ApiRoute = { functionId: "echo", eventId: "e", method, path, streaming: false, authorizer: "Auth" };
  return { route: apiRoute, pathParameters: null };
};

const request = (method: string, path: string, authorization?: string): ApiRequest => ({
  requestId: "request-1",
  traceId: "Root=1-00000000-000000000000000000000000",
  method,
  path,
  rawQuery: "",
  rawHeaders:
    authorization === undefined ? ["Host", "localhost"] : ["Host", "localhost", "Authorization", authorization],
  body: Buffer.alloc(0),
  sourceIp: "127.0.0.1",
  localPort: 3000,
  receivedAt: new Date(0),
});

const allowOnly = (resource: string, context: Record<string, unknown> = {}): InvocationOutcome => ({
  status: "succeeded",
  payload: {
    principalId: "user-1",
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "execute-api:Invoke", Resource: resource }],
    },
    context,
    usageIdentifierKey: "tier-key",
  },
});

/** A LocalLambda that answers every authorizer call with `outcome` and records the events. */
function fakeLambda(outcome: InvocationOutcome) {
  const events: APIGatewayRequestAuthorizerEvent[] = [];
  const lambda = {
    invoke: async (_functionId: string, event: unknown) => {
      events.push(event as APIGatewayRequestAuthorizerEvent);
      return outcome;
    },
  } as unknown as LocalLambda;
  return { lambda, events };
}

function setUp(outcome: InvocationOutcome, ttlSeconds: number | { Ref: string } = 300) {
  const clock = { now: 1_000_000 };
  const { lambda, events } = fakeLambda(outcome);
  const config: AuthorizerConfig = {
    name: "Auth",
    functionId: "authorizer",
    identityHeaders: ["Authorization"],
    ttlSeconds,
  };
  const authorize = createRequestAuthorizer({
    api,
    authorizers: [config],
    resolveContext: fixtureResolveContext(0),
    lambda,
    now: () => clock.now,
  });
  return { authorize, events, clock };
}

describe("createRequestAuthorizer", () => {
  it("answers 401 without calling the authorizer when the identity header is missing or empty", async () => {
    const { authorize, events } = setUp(allowOnly("*"));

    const missing = await authorize("Auth", request("GET", "/products"), route("GET", "/products"));
    const empty = await authorize("Auth", request("GET", "/products", ""), route("GET", "/products"));

    expect(missing).toMatchObject({ allowed: false, response: { statusCode: 401 } });
    expect(empty).toMatchObject({ allowed: false, response: { statusCode: 401 } });
    expect(events).toHaveLength(0);
  });

  it("calls the authorizer with the method ARN and passes on an Allow with its context as strings", async () => {
    const { authorize, events } = setUp(allowOnly("*", { tenantId: "t-1", admin: true, quota: 5, nested: { a: 1 } }));

    const result = await authorize("Auth", request("GET", "/products", "Bearer x"), route("GET", "/products"));

    expect(events[0]).toMatchObject({ type: "REQUEST", methodArn: `${stageArn}/GET/products` });
    expect(result).toMatchObject({
      allowed: true,
      decision: {
        principalId: "user-1",
        context: { tenantId: "t-1", admin: "true", quota: "5" },
        usageIdentifierKey: "tier-key",
      },
    });
    expect(result.allowed && result.decision.context).not.toHaveProperty("nested");
  });

  it("answers the template's 403 when the policy does not allow the method", async () => {
    const { authorize } = setUp(allowOnly(`${stageArn}/GET/products`));

    const result = await authorize(
      "Auth",
      request("DELETE", "/products/1", "Bearer x"),
      route("DELETE", "/products/{id}"),
    );

    expect(result).toMatchObject({ allowed: false, response: { statusCode: 403 } });
    expect(!result.allowed && String(result.response.body)).toContain("This tenant may not use the API.");
  });

  it("answers 401 when the authorizer throws Unauthorized, and 500 for any other error", async () => {
    const unauthorized = setUp({
      status: "failed",
      error: { errorType: "Error", errorMessage: "Unauthorized", trace: [] },
    });
    const broken = setUp({ status: "failed", error: { errorType: "Error", errorMessage: "db down", trace: [] } });

    const refused = await unauthorized.authorize("Auth", request("GET", "/p", "Bearer x"), route("GET", "/p"));
    const failed = await broken.authorize("Auth", request("GET", "/p", "Bearer x"), route("GET", "/p"));

    expect(refused).toMatchObject({ allowed: false, response: { statusCode: 401 } });
    expect(failed).toMatchObject({ allowed: false, response: { statusCode: 500 } });
  });

  it("answers 500 when the authorizer returns no policy", async () => {
    const { authorize } = setUp({ status: "succeeded", payload: { isAuthorized: true } });

    const result = await authorize("Auth", request("GET", "/p", "Bearer x"), route("GET", "/p"));

    expect(result).toMatchObject({ allowed: false, response: { statusCode: 500 } });
  });

  it("reuses a decision for the same token until the TTL passes, re-evaluating its policy per method", async () => {
    const { authorize, events, clock } = setUp(allowOnly(`${stageArn}/GET/products`), 30);

    const first = await authorize("Auth", request("GET", "/products", "Bearer x"), route("GET", "/products"));
    const otherMethod = await authorize("Auth", request("POST", "/products", "Bearer x"), route("POST", "/products"));
    clock.now += 30_000;
    await authorize("Auth", request("GET", "/products", "Bearer x"), route("GET", "/products"));

    expect(first.allowed).toBe(true);
    expect(otherMethod).toMatchObject({ allowed: false, response: { statusCode: 403 } });
    expect(events).toHaveLength(2);
  });

  it("does not share a cached decision between tokens", async () => {
    const { authorize, events } = setUp(allowOnly("*"));

    await authorize("Auth", request("GET", "/p", "Bearer one"), route("GET", "/p"));
    await authorize("Auth", request("GET", "/p", "Bearer two"), route("GET", "/p"));

    expect(events).toHaveLength(2);
  });

  it("calls the authorizer every time when ReauthorizeEvery resolves to 0", async () => {
    const { authorize, events } = setUp(allowOnly("*"), { Ref: "AuthorizerCacheSeconds" });

    await authorize("Auth", request("GET", "/p", "Bearer x"), route("GET", "/p"));
    await authorize("Auth", request("GET", "/p", "Bearer x"), route("GET", "/p"));

    expect(events).toHaveLength(2);
  });
});
