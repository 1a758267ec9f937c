/** The Hono middleware that turns a request into a tenant context: identity, data, logger, metrics. */
import { randomUUID } from "node:crypto";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { APIGatewayProxyEvent, Context as LambdaContext } from "aws-lambda";
import type { Context, ErrorHandler, MiddlewareHandler, NotFoundHandler } from "hono";
import { type Role, rolesFromGroups } from "../auth/roles.ts";
import { createTokenVerifier, TENANT_ID_PATTERN, type TokenVerifier } from "../auth/token-verifier.ts";
import { type AppConfig, createAppConfig } from "../config/app-config.ts";
import { createTenantSecrets, type TenantSecrets, type TenantSecretsSource } from "../config/tenant-secrets.ts";
import { awsRegion, requireEnv } from "../config.ts";
import { createTenantCredentials, type TenantCredentials } from "../data/tenant-credentials.ts";
import { createTenantDataSource, type TenantData, type TenantDataSource } from "../data/tenant-data.ts";
import { logger } from "../observability/logger.ts";
import { metrics, publishRequestMetrics } from "../observability/metrics.ts";
import { createTenantRegistry, SILO_TIER, type TenantRegistry, TIERS, type Tier } from "../registry/tenant-registry.ts";
import {
  ForbiddenError,
  NotFoundError,
  problemResponse,
  TenantIsolationError,
  toProblemError,
  UnauthorizedError,
} from "./errors.ts";

/** The caller, as every service sees it. There is no other source of the tenant id. */
export interface Tenant {
  id: string;
  tier: Tier;
  userId: string;
  roles: Role[];
}

/** What `handle()` and `streamHandle()` of `hono/aws-lambda` put in `c.env`. */
export interface LambdaBindings {
  event: APIGatewayProxyEvent;
  lambdaContext?: LambdaContext;
  context?: LambdaContext;
}

/** The Hono environment of a tenant-aware service. */
export interface TenantEnv {
  Bindings: LambdaBindings;
  Variables: {
    tenant: Tenant;
    data: TenantData;
    /** the caller's tenant's secrets (`/<stage>/tenants/<tenant>/...`) */
    secrets: TenantSecrets;
    /** global configuration (`/<stage>/config/...`) */
    config: AppConfig;
    logger: Logger;
    metrics: Metrics;
    correlationId: string;
  };
}

export interface TenantContextOptions {
  /** logical table name -> pooled table name; defaults to none (a service without tables) */
  tables?: Record<string, string>;
  /** overrides for tests; by default built from the environment at cold start */
  dataSource?: TenantDataSource;
  secrets?: TenantSecretsSource;
  config?: AppConfig;
  verifier?: TokenVerifier;
  registry?: TenantRegistry;
}

export const CORRELATION_HEADER = "X-Correlation-Id";
const CORRELATION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

function correlationIdOf(c: Context<TenantEnv>): string {
  const given = c.req.header(CORRELATION_HEADER);
  if (given && CORRELATION_ID_PATTERN.test(given)) return given;
  return c.env?.event?.requestContext?.requestId ?? randomUUID();
}

/** Reads the context the Lambda authorizer returned; undefined when the request did not come through one. */
function tenantFromAuthorizer(event: APIGatewayProxyEvent | undefined): Tenant | undefined {
  const authorizer = event?.requestContext?.authorizer;
  if (!authorizer || typeof authorizer.tenantId !== "string") return undefined;
  const { tenantId, tier, userId, roles } = authorizer;
  if (!TENANT_ID_PATTERN.test(tenantId) || !TIERS.includes(tier)) {
    throw new UnauthorizedError("authorizer context is malformed");
  }
  return { id: tenantId, tier, userId: String(userId), roles: rolesFromGroups(String(roles ?? "").split(",")) };
}

/** Verifies the bearer token itself, for invocations that bypass API Gateway's authorizer. */
async function tenantFromToken(
  c: Context<TenantEnv>,
  verifier: TokenVerifier,
  registry: TenantRegistry,
): Promise<Tenant> {
  const header = c.req.header("Authorization") ?? "";
  const match = /^Bearer ([^\s]+)$/i.exec(header);
  if (!match?.[1]) throw new UnauthorizedError("no bearer token");
  const identity = await verifier.verify(match[1]);
  const record = await registry.get(identity.tenantId);
  if (!record) throw new UnauthorizedError("tenant does not exist");
  if (record.status !== "ACTIVE") throw new ForbiddenError("This tenant may not use the API.");
  return { id: identity.tenantId, tier: record.tier, userId: identity.userId, roles: identity.roles };
}

/** Makes a value on first use: cold start pays only for what a service actually touches. */
function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= make();
    return value;
  };
}

function tenantCredentials(): TenantCredentials | undefined {
  const roleArn = process.env.TENANT_DATA_ROLE_ARN;
  return roleArn ? createTenantCredentials({ roleArn }) : undefined;
}

/**
 * Establishes the tenant context of a request: who the caller is (from the authorizer's
 * context, or by verifying the token when the function is invoked directly), a data client
 * bound to the caller's tenant, and a logger and metrics tagged with tenant and tier. Metrics
 * are flushed once per request, after the body has been sent (also for streamed bodies).
 * Create it once per container, at module scope.
 *
 * @example
 * const app = new Hono<TenantEnv>();
 * app.use(tenantContext({ tables: { products: requireEnv("PRODUCTS_TABLE") } }));
 * app.get("/products/:id", async (c) => c.json(await c.var.data.table("products").get({ productId: c.req.param("id") })));
 */
export const tenantContext = (options: TenantContextOptions = {}): MiddlewareHandler<TenantEnv> => {
  const credentials = lazy(tenantCredentials);
  const dataSource =
    options.dataSource ?? createTenantDataSource({ tables: options.tables ?? {}, credentials: credentials() });
  const secrets = lazy(
    () => options.secrets ?? createTenantSecrets({ stage: requireEnv("STAGE"), credentials: credentials() }),
  );
  const config = lazy(() => options.config ?? createAppConfig({ stage: requireEnv("STAGE") }));
  const registry = lazy(() => options.registry ?? createTenantRegistry({ tableName: requireEnv("TENANTS_TABLE") }));
  const verifier = lazy(
    () =>
      options.verifier ??
      createTokenVerifier({
        region: awsRegion(),
        userPoolId: requireEnv("USER_POOL_ID"),
        clientId: requireEnv("USER_POOL_CLIENT_ID"),
      }),
  );

  return async function tenantContext(c, next) {
    const startedAt = performance.now();
    const correlationId = correlationIdOf(c);
    c.set("correlationId", correlationId);
    c.header(CORRELATION_HEADER, correlationId);
    logger.resetKeys();
    logger.appendKeys({ correlation_id: correlationId });
    const lambdaContext = c.env?.lambdaContext ?? c.env?.context;
    if (lambdaContext) logger.addContext(lambdaContext);

    const tenant = tenantFromAuthorizer(c.env?.event) ?? (await tenantFromToken(c, verifier(), registry()));
    logger.appendKeys({ tenant_id: tenant.id, tier: tenant.tier, user_id: tenant.userId });
    // Silo tenants have dedicated tables, named in their registry record; nothing else changes.
    const dedicatedTables = tenant.tier === SILO_TIER ? (await registry().get(tenant.id))?.tables : undefined;
    c.set("tenant", tenant);
    c.set("data", dataSource.forTenant(tenant.id, dedicatedTables));
    c.set("secrets", {
      get: (name) => secrets().forTenant(tenant.id).get(name),
      getJson: (name) => secrets().forTenant(tenant.id).getJson(name),
    });
    c.set("config", { getJson: (name) => config().getJson(name) });
    c.set("logger", logger);
    c.set("metrics", metrics);

    await next();

    const { id: tenantId, tier } = tenant;
    const status = c.res.status;
    const publish = () => publishRequestMetrics({ tenantId, tier, status, latencyMs: performance.now() - startedAt });
    if (!c.res.body) {
      publish();
      return;
    }
    // A streamed body is still being produced here: flush when its last chunk has passed.
    const body = c.res.body.pipeThrough(new TransformStream({ flush: publish }));
    c.res = new Response(body, c.res);
  };
};

/**
 * Function-level authorization: lets the request through only when the caller holds one of
 * the roles (403 problem+json otherwise). Use after `tenantContext()`.
 *
 * @example
 * app.post("/users", requireRole("tenant-admin"), createUserHandler);
 */
export const requireRole = (...roles: Role[]): MiddlewareHandler<TenantEnv> => {
  if (roles.length === 0) throw new Error("requireRole needs at least one role");
  return async function requireRole(c, next) {
    if (!c.var.tenant.roles.some((role) => roles.includes(role))) {
      throw new ForbiddenError(`This action needs the role ${roles.join(" or ")}.`);
    }
    await next();
  };
};

/**
 * The one place errors become HTTP answers: `application/problem+json`, no internals leaked,
 * isolation violations logged as security events. Register with `app.onError(handleError)`.
 *
 * @example
 * app.onError(handleError);
 */
export const handleError: ErrorHandler<TenantEnv> = (error, c) => {
  const problem = toProblemError(error);
  if (error instanceof TenantIsolationError) {
    logger.critical("tenant isolation violation", { security_event: "tenant_isolation", violation: error.violation });
  } else if (error instanceof UnauthorizedError) {
    logger.info("request not authenticated", { reason: error.reason });
  } else if (problem.status >= 500) {
    logger.error("request failed", { error: error as Error });
  }
  const correlationId = c.get("correlationId");
  return problemResponse(problem, correlationId ? { [CORRELATION_HEADER]: correlationId } : {});
};

/** 404 problem+json for routes the app does not have. Register with `app.notFound(handleNotFound)`. */
export const handleNotFound: NotFoundHandler<TenantEnv> = () => problemResponse(new NotFoundError("route"));
