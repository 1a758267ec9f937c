/** Runs a Lambda REQUEST authorizer the way API Gateway does: identity check, invocation, policy, cache. */
import type { APIGatewayAuthorizerResult, PolicyDocument } from "aws-lambda";
import { type AuthorizerConfig, type ResolveContext, resolve } from "../template.ts";
import { methodArn, policyAllowsInvoke } from "./authorizer-policy.ts";
import type { GatewayHttpResponse } from "./http-response.ts";
import type { LocalLambda } from "./local-lambda.ts";
import { type ApiRequest, buildAuthorizerEvent, type MatchedRoute, requestHeader } from "./proxy-event.ts";
import { gatewayResponse, type RestApi } from "./rest-api.ts";

/** What an Allow gives the integration and the usage plan. */
export interface AuthorizerDecision {
  principalId: string;
  /** the authorizer's context as the integration sees it: string, number and boolean values, as strings */
  context: Record<string, string>;
  /** the API key that selects the usage plan (API key source AUTHORIZER) */
  usageIdentifierKey: string | undefined;
}

export type AuthorizationResult =
  | { allowed: true; decision: AuthorizerDecision; integrationLatency: number }
  | { allowed: false; response: GatewayHttpResponse };

export interface RequestAuthorizerOptions {
  api: RestApi;
  authorizers: AuthorizerConfig[];
  resolveContext: ResolveContext;
  lambda: LocalLambda;
  /** clock for the decision cache, in milliseconds */
  now?: () => number;
}

/** The authorizer's answer, cached as API Gateway caches it: the whole policy, re-evaluated for each method. */
interface AuthorizerAnswer {
  decision: AuthorizerDecision;
  policyDocument: PolicyDocument;
}

const maxCachedAnswers = 1000;

/** Reads the authorizer's result; undefined when API Gateway would call it a configuration error. */
function readAuthorizerAnswer(payload: unknown): AuthorizerAnswer | undefined {
  const result = payload as Partial<APIGatewayAuthorizerResult> | null;
  if (typeof result?.principalId !== "string" || typeof result.policyDocument?.Statement !== "object") return undefined;
  const context: Record<string, string> = {};
  for (const [key, value] of Object.entries(result.context ?? {})) {
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
      context[key] = String(value);
  }
  const usageIdentifierKey = typeof result.usageIdentifierKey === "string" ? result.usageIdentifierKey : undefined;
  return {
    decision: { principalId: result.principalId, context, usageIdentifierKey },
    policyDocument: result.policyDocument,
  };
}

/**
 * @example
 * const authorize = createRequestAuthorizer({ api, authorizers: authorizers(template), resolveContext, lambda });
 * const result = await authorize("TenantAuthorizer", request, matched);
 * if (!result.allowed) return send(result.response);
 */
export function createRequestAuthorizer(options: RequestAuthorizerOptions) {
  const { api, lambda, now = Date.now } = options;
  const configs = new Map(options.authorizers.map((config) => [config.name, config]));
  // ReauthorizeEvery is often a parameter (`!Ref AuthorizerCacheSeconds`): resolve it once.
  const ttlSeconds = new Map(
    options.authorizers.map((config) => [config.name, Number(resolve(config.ttlSeconds, options.resolveContext))]),
  );
  const cache = new Map<string, { answer: AuthorizerAnswer; expiresAt: number }>();
  const unauthorized = (request: ApiRequest) =>
    gatewayResponse(api, { type: "UNAUTHORIZED", status: 401, detail: "A valid bearer token is required." }, request);
  const failure = (request: ApiRequest, detail: string) =>
    gatewayResponse(api, { type: "AUTHORIZER_FAILURE", status: 500, detail }, request);

  function cachedAnswer(key: string): AuthorizerAnswer | undefined {
    const cached = cache.get(key);
    if (cached && cached.expiresAt > now()) return cached.answer;
    cache.delete(key);
    return undefined;
  }

  function remember(key: string, answer: AuthorizerAnswer, seconds: number) {
    if (seconds <= 0) return;
    cache.set(key, { answer, expiresAt: now() + seconds * 1000 });
    if (cache.size > maxCachedAnswers) cache.delete(cache.keys().next().value as string);
  }

  async function askAuthorizer(
    config: AuthorizerConfig,
    request: ApiRequest,
    matched: MatchedRoute,
    arn: string,
  ): Promise<AuthorizerAnswer | GatewayHttpResponse> {
    const outcome = await lambda.invoke(config.functionId, buildAuthorizerEvent(api, request, matched, arn));
    switch (outcome.status) {
      case "succeeded": {
        const answer = readAuthorizerAnswer(outcome.payload);
        const detail = "The authorizer returned no principalId and policyDocument.";
        return answer ?? gatewayResponse(api, { type: "AUTHORIZER_CONFIGURATION_ERROR", status: 500, detail }, request);
      }
      case "failed":
        if (outcome.error.errorMessage === "Unauthorized") return unauthorized(request);
        return failure(request, `The authorizer failed: ${outcome.error.errorType}: ${outcome.error.errorMessage}`);
      case "timed-out":
        return failure(request, `The authorizer timed out after ${outcome.timeoutSeconds} s.`);
      case "crashed":
        return failure(request, `The authorizer process exited (code ${outcome.exitCode}, signal ${outcome.signal}).`);
      case "streamed":
        return failure(request, "The authorizer streamed a response; it must return a policy.");
    }
  }

  return async function authorize(
    authorizerName: string,
    request: ApiRequest,
    matched: MatchedRoute,
  ): Promise<AuthorizationResult> {
    const config = configs.get(authorizerName);
    if (!config)
      return { allowed: false, response: failure(request, `No authorizer named ${authorizerName} in the template.`) };
    // API Gateway refuses a request that lacks an identity source without calling the authorizer.
    const identity = config.identityHeaders.map((header) => requestHeader(request, header));
    if (identity.some((value) => !value)) return { allowed: false, response: unauthorized(request) };

    const arn = methodArn({ ...api, method: request.method, path: request.path });
    const cacheKey = JSON.stringify([authorizerName, ...identity]);
    let answer = cachedAnswer(cacheKey);
    let integrationLatency = 0;
    if (!answer) {
      const started = now();
      const answerOrRefusal = await askAuthorizer(config, request, matched, arn);
      if (!("policyDocument" in answerOrRefusal)) return { allowed: false, response: answerOrRefusal };
      answer = answerOrRefusal;
      integrationLatency = now() - started;
      remember(cacheKey, answer, ttlSeconds.get(authorizerName) ?? 0);
    }
    if (!policyAllowsInvoke(answer.policyDocument, arn)) {
      const detail = "The authorizer's policy does not allow this request.";
      return {
        allowed: false,
        response: gatewayResponse(api, { type: "ACCESS_DENIED", status: 403, detail }, request),
      };
    }
    return { allowed: true, decision: answer.decision, integrationLatency };
  };
}
