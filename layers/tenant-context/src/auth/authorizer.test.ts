import type { APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import type { AppConfig } from "../config/app-config.ts";
import { UnauthorizedError } from "../http/errors.ts";
import { logger } from "../observability/logger.ts";
import type { TenantRecord, TenantRegistry } from "../registry/tenant-registry.ts";
import { type CapturedOutput, captureOutput, tenantRecord, testUserPool } from "../testing/index.ts";
import { createAuthorizer, stageWildcard } from "./authorizer.ts";
import type { TokenVerifier } from "./token-verifier.ts";

const methodArn = "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/GET/products/42";

const verifier: TokenVerifier = {
  async verify(token) {
    if (token !== "good") throw new UnauthorizedError("bad token");
    return {
      tenantId: "acme",
      userId: "u1",
      email: undefined,
      roles: ["tenant-admin"],
      tokenUse: "id",
      expiresAt: 1_700_003_600,
      issuedAt: 1_700_000_000,
    };
  },
};

function registryWith(record: Partial<TenantRecord> | undefined): TenantRegistry {
  return { get: async () => record && tenantRecord(record) };
}

const config: AppConfig = {
  getJson: async <T>() =>
    ({
      basic: { usageKey: "basic-key", tenantDailyQuota: 10_000 },
      enterprise: { usageKey: "enterprise-key", tenantDailyQuota: 50_000 },
    }) as T,
};

const event = (authorization?: string, headers: Record<string, string> = {}) =>
  ({
    type: "REQUEST",
    methodArn,
    headers: { ...headers, ...(authorization && { authorization }) },
    requestContext: { requestId: "r1" },
  }) as unknown as APIGatewayRequestAuthorizerEvent;

describe("createAuthorizer", () => {
  it("allows an active tenant's valid token for the whole stage, with the tenant context", async () => {
    const authorize = createAuthorizer({ verifier, registry: registryWith({}), config });
    const result = await authorize(event("Bearer good"));
    expect(result.usageIdentifierKey).toBe("basic-key");
    expect(result.policyDocument.Statement[0]).toMatchObject({
      Effect: "Allow",
      Resource: "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/*",
    });
    expect(result.context).toEqual({
      tenantId: "acme",
      tier: "basic",
      userId: "u1",
      roles: "tenant-admin",
      issuedAt: "1700000000",
      expiresAt: "1700003600",
    });
  });

  it("throws Unauthorized (401) for a token its user's revocation refuses, and lets through one issued since", async () => {
    const revokedLater = createAuthorizer({
      verifier,
      registry: registryWith({ revokedTokens: new Set(["u1@1700000000", "u1@1700000001", "other@1800000000"]) }),
      config,
    });
    await expect(revokedLater(event("Bearer good"))).rejects.toThrow("Unauthorized");
    const revokedBefore = createAuthorizer({
      verifier,
      registry: registryWith({ revokedTokens: new Set(["u1@1700000000", "other@1800000000"]) }),
      config,
    });
    expect((await revokedBefore(event("Bearer good"))).policyDocument.Statement[0]).toMatchObject({ Effect: "Allow" });
  });

  it("throws Unauthorized (401) for a token issued before its tenant was created (an offboarded tenant's id taken again)", async () => {
    // The verifier's token was issued at 1,700,000,000 (see `verifier` above): half an hour before.
    const recreated = createAuthorizer({
      verifier,
      registry: registryWith({ createdAt: new Date((1_700_000_000 + 1800) * 1000).toISOString() }),
      config,
    });
    await expect(recreated(event("Bearer good"))).rejects.toThrow("Unauthorized");
    const sameTenant = createAuthorizer({
      verifier,
      registry: registryWith({ createdAt: new Date((1_700_000_000 - 1800) * 1000).toISOString() }),
      config,
    });
    expect((await sameTenant(event("Bearer good"))).policyDocument.Statement[0]).toMatchObject({ Effect: "Allow" });
  });

  it("throws Unauthorized (401) for a missing or invalid token, and for an unknown tenant", async () => {
    const authorize = createAuthorizer({ verifier, registry: registryWith({}), config });
    await expect(authorize(event())).rejects.toThrow("Unauthorized");
    await expect(authorize(event("Bearer bad"))).rejects.toThrow("Unauthorized");
    await expect(authorize(event("Basic good"))).rejects.toThrow("Unauthorized");
    const unknown = createAuthorizer({ verifier, registry: registryWith(undefined), config });
    await expect(unknown(event("Bearer good"))).rejects.toThrow("Unauthorized");
  });

  it("denies (403) a tenant that is not active", async () => {
    const authorize = createAuthorizer({ verifier, registry: registryWith({ status: "INACTIVE" }), config });
    const result = await authorize(event("Bearer good"));
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: "Deny" });
    expect(result.context).toBeUndefined();
  });

  it("denies (403) a user in no role group of the product", async () => {
    const roleless: TokenVerifier = { verify: async (token) => ({ ...(await verifier.verify(token)), roles: [] }) };
    const result = await createAuthorizer({ verifier: roleless, registry: registryWith({}), config })(
      event("Bearer good"),
    );
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: "Deny" });
    expect(result.context).toBeUndefined();
  });
});

describe("createAuthorizer and tiers", () => {
  it("returns a tenant's dedicated usage key instead of its tier's", async () => {
    const authorize = createAuthorizer({
      verifier,
      registry: registryWith({ tier: "enterprise", usageKey: "own-key" }),
      config,
    });
    expect((await authorize(event("Bearer good"))).usageIdentifierKey).toBe("own-key");
  });

  it("admits a migrating tenant (the service answers a retryable 503)", async () => {
    const authorize = createAuthorizer({ verifier, registry: registryWith({ status: "MIGRATING" }), config });
    expect((await authorize(event("Bearer good"))).policyDocument.Statement[0]).toMatchObject({ Effect: "Allow" });
  });
});

describe("createAuthorizer logs", () => {
  let output: CapturedOutput | undefined;
  afterEach(() => {
    output?.restore();
  });

  /** The JSON lines the authorizer writes (Powertools: INFO to stdout, WARN and above to stderr). */
  function capturedLines(): () => Record<string, unknown>[] {
    output = captureOutput();
    return output.lines;
  }

  it("tags its lines with tenant, tier, user and the correlation id the service will use", async () => {
    const lines = capturedLines();
    const authorize = createAuthorizer({ verifier, registry: registryWith({ status: "INACTIVE" }), config });
    await authorize(event("Bearer good", { "x-correlation-id": "corr-9" }));
    expect(lines().find((line) => line.message === "tenant is not active")).toMatchObject({
      tenant_id: "acme",
      tier: "basic",
      user_id: "u1",
      correlation_id: "corr-9",
    });
  });

  it("falls back to API Gateway's request id, also for a malformed header, and never logs the token", async () => {
    const lines = capturedLines();
    const authorize = createAuthorizer({ verifier, registry: registryWith({}), config });
    await expect(authorize(event("Bearer bad", { "X-Correlation-Id": "not valid!" }))).rejects.toThrow();
    const refused = lines().find((line) => line.message === "token refused");
    expect(refused).toMatchObject({ correlation_id: "r1", reason: "bad token" });
    expect(JSON.stringify(lines())).not.toContain("Bearer");
  });

  it("never logs a token the real verifier accepts or refuses, even at DEBUG", async () => {
    const lines = capturedLines();
    logger.setLogLevel("DEBUG");
    try {
      const pool = await testUserPool();
      const accepted = await pool.idToken();
      const refused = await pool.idToken({ aud: "another-client" });
      const authorize = createAuthorizer({ verifier: pool.verifier, registry: registryWith({}), config });
      expect((await authorize(event(`Bearer ${accepted}`))).policyDocument.Statement[0]).toMatchObject({
        Effect: "Allow",
      });
      await expect(authorize(event(`Bearer ${refused}`))).rejects.toThrow("Unauthorized");
      expect(lines().length).toBeGreaterThan(0);
      const text = output?.text() ?? "";
      for (const part of [...accepted.split("."), ...refused.split(".")]) expect(text).not.toContain(part);
    } finally {
      logger.setLogLevel("INFO");
    }
  });

  it("takes a correlation id sent twice for no id at all, as the services do", async () => {
    const lines = capturedLines();
    const authorize = createAuthorizer({ verifier, registry: registryWith({ status: "INACTIVE" }), config });
    const twice = {
      ...event("Bearer good", { "X-Correlation-Id": "trace-two" }),
      multiValueHeaders: { "X-Correlation-Id": ["trace-one", "trace-two"], authorization: ["Bearer good"] },
    };
    await authorize(twice);
    expect(lines().find((line) => line.message === "tenant is not active")).toMatchObject({ correlation_id: "r1" });
  });
});

describe("stageWildcard", () => {
  it("covers every method and path of the stage the request came to", () => {
    expect(stageWildcard(methodArn)).toBe("arn:aws:execute-api:us-east-1:123456789012:abc123/dev/*");
  });
});
