/** The Lambda REQUEST authorizer: verify the JWT, load the tenant, answer Allow with the tenant context. */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { type AppConfig, createAppConfig } from "../config/app-config.ts";
import { awsRegion, requireEnv } from "../config.ts";
import { UnauthorizedError } from "../http/errors.ts";
import { eventCorrelationId, eventHeader } from "../observability/correlation.ts";
import { beginRequestLog, logger } from "../observability/logger.ts";
import { createTenantRegistry, type TenantRegistry, type TenantStatus } from "../registry/tenant-registry.ts";
import { tierSettings } from "../registry/tier-config.ts";
import { tokenRefusal } from "./token-revocations.ts";
import { createTokenVerifier, type TokenVerifier } from "./token-verifier.ts";

export interface AuthorizerOptions {
  verifier?: TokenVerifier;
  registry?: TenantRegistry;
  config?: AppConfig;
}

/** Tenants in these states may call the API (a MIGRATING tenant then gets a retryable 503 from the service). */
const ADMITTED_STATUSES: ReadonlySet<TenantStatus> = new Set(["ACTIVE", "MIGRATING"]);

/** What services find in `requestContext.authorizer` (API Gateway keeps only flat string values). */
export interface AuthorizerContext {
  tenantId: string;
  tier: string;
  userId: string;
  /** comma-separated roles */
  roles: string;
  /** the token's `iat`: the service checks it against the user's revocation, as the registry has it then */
  issuedAt: string;
  /** the token's `exp`: API Gateway may serve this decision from its cache after it, the service refuses it then */
  expiresAt: string;
  [key: string]: string;
}

export type AuthorizerHandler = (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

/**
 * Headers are read as the services see them through their adapters: every value the caller sent,
 * joined with ", " (API Gateway's `headers` keeps only the last). So a header sent twice is as
 * ambiguous here as there, and both pick the same correlation id.
 */
function bearerToken(event: APIGatewayRequestAuthorizerEvent): string | undefined {
  return /^Bearer ([^\s]+)$/i.exec(eventHeader(event, "authorization") ?? "")?.[1];
}

/**
 * The policy covers every method of the stage, because API Gateway caches one decision per
 * token for all routes (ReauthorizeEvery).
 */
export function stageWildcard(methodArn: string): string {
  // arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/<path>
  const [apiArn, stage] = methodArn.split("/");
  return `${apiArn}/${stage}/*`;
}

function policy(effect: "Allow" | "Deny", resource: string) {
  return {
    Version: "2012-10-17",
    Statement: [{ Action: "execute-api:Invoke", Effect: effect, Resource: resource }],
  };
}

/**
 * Creates the authorizer handler. Invalid, missing or revoked tokens throw `Unauthorized` (API
 * Gateway answers 401); a tenant that is deactivated (or not yet active), or a user in no role group,
 * gets a Deny (403). An Allow names the usage-plan key (`usageIdentifierKey`) that API Gateway
 * throttles and meters by.
 *
 * @example
 * // functions/authorizer/handler.ts
 * export const handler = createAuthorizer();
 */
export function createAuthorizer(options: AuthorizerOptions = {}): AuthorizerHandler {
  const verifier =
    options.verifier ??
    createTokenVerifier({
      region: awsRegion(),
      userPoolId: requireEnv("USER_POOL_ID"),
      clientId: requireEnv("USER_POOL_CLIENT_ID"),
    });
  const registry = options.registry ?? createTenantRegistry({ tableName: requireEnv("TENANTS_TABLE") });
  const config = options.config ?? createAppConfig({ stage: requireEnv("STAGE") });

  return async function authorize(event) {
    // The same id the service's log lines will carry for this request.
    beginRequestLog(eventCorrelationId(event));
    try {
      const token = bearerToken(event);
      if (!token) throw new UnauthorizedError("no bearer token");
      const identity = await verifier.verify(token);
      const tenant = await registry.get(identity.tenantId);
      if (!tenant) throw new UnauthorizedError("tenant does not exist");
      logger.appendKeys({ tenant_id: tenant.tenantId, tier: tenant.tier, user_id: identity.userId });
      const refused = tokenRefusal(tenant, identity.userId, identity.issuedAt);
      if (refused) throw new UnauthorizedError(refused);
      const resource = stageWildcard(event.methodArn);
      if (!ADMITTED_STATUSES.has(tenant.status)) {
        logger.info("tenant is not active", { status: tenant.status });
        return { principalId: identity.userId, policyDocument: policy("Deny", resource) };
      }
      if (identity.roles.length === 0) {
        logger.info("user has no role");
        return { principalId: identity.userId, policyDocument: policy("Deny", resource) };
      }
      const settings = await tierSettings(config, tenant.tier);
      const context: AuthorizerContext = {
        tenantId: tenant.tenantId,
        tier: tenant.tier,
        userId: identity.userId,
        roles: identity.roles.join(","),
        issuedAt: String(identity.issuedAt),
        expiresAt: String(identity.expiresAt),
      };
      // The usage-plan key: the tenant's own (enterprise) or its tier's; API Gateway then applies that plan.
      const usageIdentifierKey = tenant.usageKey ?? settings.usageKey;
      return { principalId: identity.userId, policyDocument: policy("Allow", resource), context, usageIdentifierKey };
    } catch (error) {
      if (error instanceof UnauthorizedError) {
        logger.info("token refused", { reason: error.reason });
        throw new Error("Unauthorized");
      }
      logger.error("authorizer failed", { error: error as Error });
      throw error;
    }
  };
}
