/** Enforces API Gateway usage plans (rate, burst, daily quota per key) and method throttles in the local gateway. */
import {
  APIGatewayClient,
  GetApiKeysCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
} from "@aws-sdk/client-api-gateway";
import { localCredentials, localRegion } from "./aws-env.ts";
import type { AuthorizerDecision, GatewayRefusal } from "./gateway/index.ts";
import { type ApiRoute, type Json, type ResolveContext, resolve, resourcesOfType, type Template } from "./template.ts";

interface Limits {
  rateLimit: number;
  burstLimit: number;
  /** requests per UTC day, if the plan has a daily quota */
  dailyQuota?: number;
}

/** A token bucket: `burstLimit` tokens, refilled at `rateLimit` per second, as API Gateway throttles. */
class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly limits: Limits,
    now: number,
  ) {
    this.tokens = limits.burstLimit;
    this.last = now;
  }

  /** Takes a token, or answers how many seconds until one is available. */
  take(now: number): number | undefined {
    this.tokens = Math.min(this.limits.burstLimit, this.tokens + ((now - this.last) / 1000) * this.limits.rateLimit);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.limits.rateLimit));
  }
}

/** `MethodSettings` of the template's API as `METHOD /path` -> limits (`* /*` is the stage default). */
function methodThrottles(template: Template, context: ResolveContext): Map<string, Limits> {
  const throttles = new Map<string, Limits>();
  for (const [, api] of resourcesOfType(template, "AWS::Serverless::Api")) {
    for (const setting of resolve(api.Properties?.MethodSettings ?? [], context) as Json[]) {
      if (setting.ThrottlingRateLimit === undefined) continue;
      // "/~1registrations" is the encoding of "/registrations" ("/*" stays as it is).
      const path = String(setting.ResourcePath)
        .replace(/^\/(?=~1)/, "")
        .replaceAll("~1", "/");
      throttles.set(`${setting.HttpMethod} ${path}`, {
        rateLimit: Number(setting.ThrottlingRateLimit),
        burstLimit: Number(setting.ThrottlingBurstLimit ?? setting.ThrottlingRateLimit),
      });
    }
  }
  return throttles;
}

/**
 * A 429 of API Gateway's type `THROTTLED` or `QUOTA_EXCEEDED`; its headers (a `Retry-After` of 1 s
 * for a throttle, none for a quota) are the template's, as in AWS.
 */
const tooMany = (type: string, detail: string): GatewayRefusal => ({ type, status: 429, detail });

/**
 * The gateway's `admit` hook: method throttles for every route, and for routes that need a key,
 * the usage plan of the authorizer's `usageIdentifierKey`. Plans and keys are read from moto's
 * API Gateway (where provisioning and the onboarding saga put them), so keys created at run time
 * count too.
 */
export function createUsagePlanAdmission(options: {
  endpoint: string;
  template: Template;
  resolveContext: ResolveContext;
  now?: () => number;
}) {
  const now = options.now ?? Date.now;
  const apigateway = new APIGatewayClient({
    endpoint: options.endpoint,
    region: localRegion,
    credentials: localCredentials,
  });
  const throttles = methodThrottles(options.template, options.resolveContext);
  const buckets = new Map<string, TokenBucket>();
  const quotaUsed = new Map<string, { day: string; count: number }>();
  let plansByKey = new Map<string, Limits>();
  let loadedAt = 0;

  async function loadPlans(): Promise<void> {
    const byKey = new Map<string, Limits>();
    const { items: keys = [] } = await apigateway.send(new GetApiKeysCommand({ includeValues: true, limit: 500 }));
    const keyValues = new Map(keys.map((k) => [k.id, k.value]));
    const { items: plans = [] } = await apigateway.send(new GetUsagePlansCommand({ limit: 500 }));
    for (const plan of plans) {
      const { items: planKeys = [] } = await apigateway.send(new GetUsagePlanKeysCommand({ usagePlanId: plan.id }));
      const limits: Limits = {
        rateLimit: plan.throttle?.rateLimit ?? Number.POSITIVE_INFINITY,
        burstLimit: plan.throttle?.burstLimit ?? Number.POSITIVE_INFINITY,
        ...(plan.quota?.period === "DAY" && plan.quota.limit !== undefined && { dailyQuota: plan.quota.limit }),
      };
      for (const key of planKeys) {
        const value = keyValues.get(key.id);
        if (value) byKey.set(value, limits);
      }
    }
    plansByKey = byKey;
    loadedAt = now();
  }

  async function planOf(key: string): Promise<Limits | undefined> {
    if (!plansByKey.has(key) && now() - loadedAt > 1000) await loadPlans();
    return plansByKey.get(key);
  }

  function take(id: string, limits: Limits): number | undefined {
    let bucket = buckets.get(id);
    if (!bucket) {
      bucket = new TokenBucket(limits, now());
      buckets.set(id, bucket);
    }
    return bucket.take(now());
  }

  return async function admit(
    route: ApiRoute,
    decision: AuthorizerDecision | undefined,
  ): Promise<GatewayRefusal | undefined> {
    const methodKey = `${route.method} ${route.path}`;
    const methodLimits = throttles.get(methodKey) ?? throttles.get("* /*");
    if (methodLimits) {
      const wait = take(`method:${throttles.has(methodKey) ? methodKey : "* /*"}`, methodLimits);
      if (wait !== undefined) return tooMany("THROTTLED", "The API's request rate for this method is exceeded.");
    }
    if (!route.apiKeyRequired) return undefined;
    const key = decision?.usageIdentifierKey;
    const plan = key ? await planOf(key) : undefined;
    if (!key || !plan) return { type: "INVALID_API_KEY", status: 403, detail: "No usage plan key for this request." };
    const wait = take(`key:${key}`, plan);
    if (wait !== undefined) return tooMany("THROTTLED", "The usage plan's request rate is exceeded.");
    if (plan.dailyQuota !== undefined) {
      const day = new Date(now()).toISOString().slice(0, 10);
      const used = quotaUsed.get(key);
      const count = used?.day === day ? used.count : 0;
      if (count >= plan.dailyQuota) return tooMany("QUOTA_EXCEEDED", "The usage plan's daily quota is used up.");
      quotaUsed.set(key, { day, count: count + 1 });
    }
    return undefined;
  };
}
