/** The Hono middleware that turns a request into a tenant context: identity, data, logger, metrics. */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { APIGatewayProxyEvent, Context as LambdaContext } from "aws-lambda";
import type { Context, ErrorHandler, MiddlewareHandler, NotFoundHandler } from "hono";
import { type Role, rolesFromGroups } from "../auth/roles.ts";
import {
  createTokenRevocations,
  type TenantTokenRevocations,
  type TokenRevocations,
  tokenRefusal,
} from "../auth/token-revocations.ts";
import {
  createTokenVerifier,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  isUserId,
  TENANT_ID_PATTERN,
  type TokenVerifier,
} from "../auth/token-verifier.ts";
import { type AppConfig, createAppConfig } from "../config/app-config.ts";
import { createTenantSecrets, type TenantSecrets, type TenantSecretsSource } from "../config/tenant-secrets.ts";
import { awsRegion, requireEnv } from "../config.ts";
import { environmentTenantCredentials } from "../data/tenant-credentials.ts";
import { createTenantDataSource, type TenantData, type TenantDataSource } from "../data/tenant-data.ts";
import type { TenantTable } from "../data/tenant-scoped-table.ts";
import { countRequest, QuotaExceededError } from "../data/usage-meter.ts";
import type { EventPublisher } from "../events/event-publisher.ts";
import { createTenantEvents, type TenantEvents } from "../events/tenant-events.ts";
import { CORRELATION_HEADER, correlationIdOf } from "../observability/correlation.ts";
import { beginRequestLog, logFailure, logger } from "../observability/logger.ts";
import {
  dropRecordedMetrics,
  NO_TIER,
  publishRequestMetrics,
  type RequestMetrics,
  requestMetrics,
} from "../observability/metrics.ts";
import {
  createTenantRegistry,
  type TenantRecord,
  type TenantRegistry,
  TIERS,
  type Tier,
} from "../registry/tenant-registry.ts";
import { tenantDailyQuota } from "../registry/tier-config.ts";
import {
  ForbiddenError,
  NotFoundError,
  problemResponse,
  ServiceUnavailableError,
  TooManyRequestsError,
  toProblemError,
  UnauthorizedError,
} from "./errors.ts";
import { isProducedWhileRead } from "./ndjson.ts";

/** The caller, as every service sees it. There is no other source of the tenant id. */
export interface Tenant {
  id: string;
  tier: Tier;
  userId: string;
  roles: Role[];
}

/** What the layer's `handle()` and `streamHandle()` (and hono's) put in `c.env`. */
export interface LambdaBindings {
  event: APIGatewayProxyEvent;
  requestContext?: APIGatewayProxyEvent["requestContext"];
  /** under `handle()`: the answer is read whole once the middleware is done */
  lambdaContext?: LambdaContext;
  /** under `streamHandle()`: the answer is streamed */
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
    /** the request's metrics: published with the request's own, once it has been answered */
    metrics: RequestMetrics;
    correlationId: string;
    /** publishes events of the caller's tenant, with the request's correlation id */
    events: TenantEvents;
    /** revokes the tokens of a user of the caller's tenant (say, once it is disabled) */
    revocations: TenantTokenRevocations;
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
  revocations?: TokenRevocations;
  /** count requests against the per-tenant daily quota; default: when USAGE_TABLE is set */
  metering?: boolean;
  /** the events the service publishes (`c.var.events`); `outboxTable` names, among `tables`, its outbox */
  events?: { publisher: EventPublisher; outboxTable?: string };
}

/** The logical name of the per-tenant usage counters among a service's tables. */
export const USAGE_TABLE_NAME = "tenant-usage";

/** Counts the request against the tenant's daily quota (429 past it). */
async function meter(usage: TenantTable, record: TenantRecord, config: AppConfig): Promise<void> {
  const quota = await tenantDailyQuota(config, record);
  try {
    await countRequest(usage, quota);
  } catch (error) {
    if (error instanceof QuotaExceededError) {
      throw new TooManyRequestsError("This tenant has used its daily request quota.", error.retryAfterSeconds);
    }
    throw error;
  }
}

/** The caller as its token says, and when the token was issued (unknown from an older authorizer's context). */
interface Caller {
  tenant: Tenant;
  issuedAt: number | undefined;
}

/**
 * Reads the context the Lambda authorizer returned; undefined when the request did not come through
 * one. API Gateway may serve an authorizer's decision from its cache (`AuthorizerCacheSeconds`) after
 * the token it was made for has expired: such a request is refused here, by the token's `exp` the
 * authorizer passed on (a context without it, from an older authorizer, is not checked for it).
 */
function callerFromAuthorizer(event: APIGatewayProxyEvent | undefined): Caller | undefined {
  const authorizer = event?.requestContext?.authorizer;
  if (!authorizer || typeof authorizer.tenantId !== "string") return undefined;
  const { tenantId, tier, userId, roles } = authorizer;
  if (!TENANT_ID_PATTERN.test(tenantId) || !TIERS.includes(tier) || !isUserId(userId)) {
    throw new UnauthorizedError("authorizer context is malformed");
  }
  const expiresAt = Number(authorizer.expiresAt);
  if (Number.isSafeInteger(expiresAt) && expiresAt + DEFAULT_CLOCK_TOLERANCE_SECONDS <= Date.now() / 1000) {
    throw new UnauthorizedError("token expired (authorizer decision served from API Gateway's cache)");
  }
  const issuedAt = Number(authorizer.issuedAt);
  return {
    tenant: { id: tenantId, tier, userId, roles: rolesFromGroups(String(roles ?? "").split(",")) },
    issuedAt: Number.isSafeInteger(issuedAt) ? issuedAt : undefined,
  };
}

/** The caller the authorizer named, if it named one well formed (for a request the app never sees). */
export function authorizedCaller(event: APIGatewayProxyEvent): Tenant | undefined {
  try {
    return callerFromAuthorizer(event)?.tenant;
  } catch {
    return undefined;
  }
}

/** Verifies the bearer token itself, for invocations that bypass API Gateway's authorizer. */
async function callerFromToken(c: Context<TenantEnv>, verifier: TokenVerifier): Promise<Caller> {
  const header = c.req.header("Authorization") ?? "";
  const match = /^Bearer ([^\s]+)$/i.exec(header);
  if (!match?.[1]) throw new UnauthorizedError("no bearer token");
  const identity = await verifier.verify(match[1]);
  return {
    // The tier is not in the token: the registry record read next supplies it.
    tenant: { id: identity.tenantId, tier: "basic", userId: identity.userId, roles: identity.roles },
    issuedAt: identity.issuedAt,
  };
}

/** The registry's word on the tenant right now (cached briefly): its tier, status and where its data is. */
async function currentRecord(registry: TenantRegistry, tenantId: string): Promise<TenantRecord> {
  const record = await registry.get(tenantId);
  if (!record) throw new UnauthorizedError("tenant does not exist");
  return record;
}

/**
 * Only an ACTIVE tenant may use the API; one whose data is moving may retry shortly. Only a user
 * with a role may: every user the product creates has one, so a user in no role group (made by hand
 * in Cognito, say) would otherwise pass every route that asks for no particular role.
 */
function refuseUnlessAdmitted(record: TenantRecord, tenant: Tenant): void {
  if (record.status === "MIGRATING") {
    throw new ServiceUnavailableError("This tenant's data is moving to its new tier; retry shortly.", 5);
  }
  if (record.status !== "ACTIVE") throw new ForbiddenError("This tenant may not use the API.");
  if (tenant.roles.length === 0) throw new ForbiddenError("This user has no role in its tenant.");
}

/** Makes a value on first use: cold start pays only for what a service actually touches. */
function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= make();
    return value;
  };
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
  const credentials = lazy(environmentTenantCredentials);
  const usageTable = process.env.USAGE_TABLE;
  const dataSource =
    options.dataSource ??
    createTenantDataSource({
      tables: { ...options.tables, ...(usageTable && { [USAGE_TABLE_NAME]: usageTable }) },
      credentials: credentials(),
    });
  const secrets = lazy(
    () => options.secrets ?? createTenantSecrets({ stage: requireEnv("STAGE"), credentials: credentials() }),
  );
  const config = lazy(() => options.config ?? createAppConfig({ stage: requireEnv("STAGE") }));
  /** `c.var.config`: global, the same for every request */
  const requestConfig: AppConfig = { getJson: (name, maxAgeSeconds) => config().getJson(name, maxAgeSeconds) };
  const registry = lazy(() => options.registry ?? createTenantRegistry({ tableName: requireEnv("TENANTS_TABLE") }));
  const revocations = lazy(
    () =>
      options.revocations ??
      createTokenRevocations({ tableName: requireEnv("TENANTS_TABLE"), credentials: credentials() }),
  );
  const verifier = lazy(
    () =>
      options.verifier ??
      createTokenVerifier({
        region: awsRegion(),
        userPoolId: requireEnv("USER_POOL_ID"),
        clientId: requireEnv("USER_POOL_CLIENT_ID"),
      }),
  );

  const metering = options.metering ?? Boolean(usageTable);

  return async function tenantContext(c, next) {
    if (previousStream) await settleAbandonedStream();
    const { startedAt, correlationId } = beginRequest(c);
    let tenant: Tenant | undefined;
    /** the caller before the registry confirms it; its tier is known only when the authorizer named it */
    let claimed: { tenant: Tenant; tierKnown: boolean } | undefined;
    try {
      const authorized = callerFromAuthorizer(c.env?.event);
      const caller = authorized ?? (await callerFromToken(c, verifier()));
      claimed = { tenant: caller.tenant, tierKnown: authorized !== undefined };
      const record = await currentRecord(registry(), caller.tenant.id);
      // The registry, not a cached authorizer decision, is authoritative for the tier and revocations.
      tenant = { ...caller.tenant, tier: record.tier };
      logger.appendKeys({ tenant_id: tenant.id, tier: tenant.tier, user_id: tenant.userId });
      const refused = tokenRefusal(record, tenant.userId, caller.issuedAt);
      if (refused) throw new UnauthorizedError(refused);
      refuseUnlessAdmitted(record, tenant);
      // Silo tenants have dedicated tables, named in their registry record; nothing else changes.
      const data = dataSource.forTenant(tenant.id, record.tables);
      const counted = metering ? meter(data.table(USAGE_TABLE_NAME), record, requestConfig) : undefined;
      // A read answered whole (under `handle()`) runs while it is being counted: its latency loses
      // a DynamoDB round trip, and if the count refuses it, its answer is dropped for the 429. A
      // write, or a streamed answer (which cannot be taken back once begun), waits for the count.
      const countAlongside = counted !== undefined && READ_METHODS.has(c.req.method) && !!c.env?.lambdaContext;
      if (countAlongside) counted.catch(() => undefined);
      else await counted;
      setRequestVariables(c, tenant, record, data, correlationId);
      await next();
      if (countAlongside) await refusedAfterAll(c, counted);
    } catch (error) {
      // A failure before the registry answered (an outage, say) is still the caller's: in its log
      // lines, and in its tier's metrics when the authorizer named the tier (a token does not).
      if (!tenant && claimed) {
        const { tenant: who, tierKnown } = claimed;
        logger.appendKeys({ tenant_id: who.id, user_id: who.userId, ...(tierKnown && { tier: who.tier }) });
        if (tierKnown) tenant = who;
      }
      // Answered here rather than by the app's onError, so that these requests are in the metrics too.
      c.res = errorResponse(error, c);
    }
    finishRequest(c, startedAt, tenant);
  };

  /** What the rest of the app reads as `c.var`: all of it bound to the caller's tenant. */
  function setRequestVariables(
    c: Context<TenantEnv>,
    tenant: Tenant,
    record: TenantRecord,
    data: TenantData,
    correlationId: string,
  ): void {
    c.set("tenant", tenant);
    c.set("data", data);
    c.set("secrets", {
      get: (name) => secrets().forTenant(tenant.id).get(name),
      getJson: (name) => secrets().forTenant(tenant.id).getJson(name),
    });
    c.set("config", requestConfig);
    c.set("revocations", { revokeUser: (userId) => revocations().revokeUser(tenant.id, userId, record) });
    c.set("logger", logger);
    c.set("metrics", requestMetrics);
    const outboxTable = options.events?.outboxTable;
    c.set(
      "events",
      createTenantEvents({
        publisher: options.events?.publisher,
        tenantId: tenant.id,
        correlationId,
        userId: tenant.userId,
        outbox: outboxTable ? () => data.table(outboxTable) : undefined,
      }),
    );
  }
};

/**
 * How long settling an abandoned body waits for its producer to stop when the invocation's time
 * left is unknown (a page read takes far less). On Lambda it waits while the invocation has time.
 */
const SETTLE_WAIT_MS = 1000;

/** What settling leaves of the invocation's time, to publish and end before Lambda's timeout. */
const SETTLE_END_MARGIN_MS = 500;

/** A streamed body passed through, and how to settle it if it is left neither ended nor cancelled. */
interface WatchedBody {
  body: ReadableStream<Uint8Array>;
  /**
   * Unless it is over already: cancels what is left, waits until whatever produced it has stopped
   * (`untilStopped`), then publishes, as of its last chunk, with what the producer recorded while
   * stopping.
   */
  abandon(): Promise<void>;
}

/**
 * Waits until a cancelled body's producer has stopped: while the invocation has time left (less a
 * margin to publish and end), else `SETTLE_WAIT_MS`. A producer still running when the invocation
 * ends would go on in a later one (Lambda thaws the container for it), under that one's log keys
 * and metrics: an offboarding whose client went away half way through its deletes, say. One stuck
 * in a call that never returns holds the invocation to its timeout, and no longer.
 */
async function untilStopped(cancelled: Promise<void>, remainingMs: (() => number) | undefined): Promise<void> {
  const waitMs = Math.max(SETTLE_WAIT_MS, (remainingMs?.() ?? 0) - SETTLE_END_MARGIN_MS);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    cancelled.catch(() => undefined),
    new Promise((resolve) => {
      timer = setTimeout(resolve, waitMs);
    }),
  ]);
  clearTimeout(timer);
}

/**
 * Passes a streamed body through and calls `sent` once when it is over: with `status` when its last
 * chunk has passed or the client went away, with 500 when the body failed half way. Otherwise what
 * a service recorded for the request would stay stored and be published with the next one. When
 * the client goes away, `sent` waits until the producer has stopped, so that what it records while
 * stopping is published with its own request; the latency still ends at the cancel.
 */
function whenSent(
  body: ReadableStream<Uint8Array>,
  sent: (status: number, endedAt: number) => void,
  status: number,
  remainingMs: (() => number) | undefined,
): WatchedBody {
  const reader = body.getReader();
  let over = false;
  let lastChunkAt = performance.now();
  const end = (finalStatus: number, endedAt = performance.now()) => {
    if (over) return;
    over = true;
    sent(finalStatus, endedAt);
  };
  const watched = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await reader.read();
        if (chunk.done) {
          end(status);
          controller.close();
        } else {
          lastChunkAt = performance.now();
          controller.enqueue(chunk.value);
        }
      } catch (error) {
        end(500);
        controller.error(error);
      }
    },
    cancel(reason) {
      if (over) return reader.cancel(reason);
      settled = settle(() => reader.cancel(reason), performance.now());
      return settled;
    },
  });
  /** What a cancel or an abandon is doing: waiting for the producer to stop, then publishing. */
  let settled: Promise<void> | undefined;
  const settle = async (cancel: () => Promise<void>, endedAt: number) => {
    // From now on only this publishes: the read the cancel ends would, too early.
    over = true;
    await untilStopped(cancel(), remainingMs);
    sent(status, endedAt);
  };
  return {
    body: watched,
    async abandon() {
      // A cancel under way has not published yet: the invocation must not end before it has.
      if (over) return settled;
      settled = settle(() => reader.cancel(), lastChunkAt);
      return settled;
    },
  };
}

/**
 * The streamed answer of the latest invocation under Lambda's streaming adapter. The adapter stops
 * reading a body whose response stream failed, but does not cancel it: the layer's `streamHandle`
 * settles it before the invocation ends. Under hono's `streamHandle`, it is settled when
 * the next invocation starts, before anything of that one (a container serves one at a time, in AWS
 * and in the local gateway), so that its metrics and its producer's last log lines stay its own.
 */
let previousStream: WatchedBody | undefined;

/**
 * Settles the streamed answer of the latest invocation if it was left open: cancels its body, waits
 * until its producer has stopped (while its invocation has time), and publishes its metrics as of
 * its last chunk.
 *
 * @example
 * try { await handler(event, responseStream, context); } finally { await settleAbandonedStream(); }
 */
export async function settleAbandonedStream(): Promise<void> {
  const stream = previousStream;
  previousStream = undefined;
  await stream?.abandon();
}

/**
 * What every request gets, with a tenant or without: its correlation id (from the caller's header
 * or API Gateway's request id; echoed in the response, on every log line) and the Lambda context
 * on the logger.
 */
function beginRequest(c: Context<TenantEnv>): { startedAt: number; correlationId: string } {
  const lambdaContext = c.env?.lambdaContext ?? c.env?.context;
  const startedAt = performance.now();
  const correlationId = correlationIdOf(c.req.header(CORRELATION_HEADER), c.env?.event?.requestContext?.requestId);
  c.set("correlationId", correlationId);
  c.header(CORRELATION_HEADER, correlationId);
  beginRequestLog(correlationId, lambdaContext);
  return { startedAt, correlationId };
}

/** Publishes the request's metrics once it has been answered: now, or when a streamed body is over. */
function finishRequest(c: Context<TenantEnv>, startedAt: number, tenant: Tenant | undefined): void {
  const publish = (status: number, endedAt = performance.now()) =>
    publishRequestMetrics({
      tenantId: tenant?.id,
      tier: tenant?.tier ?? NO_TIER,
      status,
      latencyMs: endedAt - startedAt,
    });
  // Under `handle()` (c.env.lambdaContext) the adapter reads the whole body right after this
  // returns: a complete one is flushed now, spared a wrapper. One still being produced (an export)
  // is watched to its end there too, so that its failure is a 5xx and what it records is its own.
  if (!c.res.body || (c.env?.lambdaContext && !isProducedWhileRead(c.res.body))) {
    publish(c.res.status);
    return;
  }
  // A streamed body is still being produced here: flush when it ends, fails or is abandoned.
  const lambdaContext = c.env?.lambdaContext ?? c.env?.context;
  const remainingMs = lambdaContext?.getRemainingTimeInMillis?.bind(lambdaContext);
  const watched = whenSent(c.res.body, publish, c.res.status, remainingMs);
  c.res = new Response(watched.body, c.res);
  if (c.env?.context) previousStream = watched;
}

/**
 * For routes that serve no tenant (the public sign-up): the correlation id, logs and per-request
 * metrics of `tenantContext()`, under the tier `none`, and nothing about a caller. Create it once
 * per container.
 *
 * @example
 * const app = new Hono<TenantEnv>();
 * app.use(publicRequestContext());
 * app.post("/registrations", async (c) => c.json(await register(c.var.correlationId), 201));
 */
export const publicRequestContext = (): MiddlewareHandler<TenantEnv> =>
  async function publicRequestContext(c, next) {
    if (previousStream) await settleAbandonedStream();
    const { startedAt } = beginRequest(c);
    c.set("logger", logger);
    c.set("metrics", requestMetrics);
    try {
      await next();
    } catch (error) {
      // What the app's onError did not answer (it failed itself, or the throw was not an Error).
      c.res = errorResponse(error, c);
    }
    finishRequest(c, startedAt, undefined);
  };

/** Methods whose handlers change nothing, so they may run while the request is being counted. */
const READ_METHODS = new Set(["GET", "HEAD"]);

/** Awaits the count of a read that has already been answered; if it was refused, the answer goes. */
async function refusedAfterAll(c: Context<TenantEnv>, counted: Promise<void>): Promise<void> {
  try {
    await counted;
  } catch (error) {
    await c.res.body?.cancel();
    // Cleared first, so that none of the dropped answer's headers are carried over to the 429,
    // nor what its handler recorded to the 429's metrics.
    c.res = undefined;
    dropRecordedMetrics();
    throw error;
  }
}

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

/** The problem+json answer to an error, logged by kind: isolation violations as security events. */
function errorResponse(error: unknown, c: Context<TenantEnv>): Response {
  const problem = toProblemError(error);
  if (error instanceof UnauthorizedError) {
    logger.info("request not authenticated", { reason: error.reason });
  } else if (problem.status >= 500) {
    logFailure(logger, "request failed", error);
  }
  const correlationId = c.get("correlationId");
  return problemResponse(problem, correlationId ? { [CORRELATION_HEADER]: correlationId } : {});
}

/**
 * The one place errors become HTTP answers: `application/problem+json`, no internals leaked,
 * isolation violations logged as security events. Register with `app.onError(handleError)`.
 *
 * @example
 * app.onError(handleError);
 */
export const handleError: ErrorHandler<TenantEnv> = (error, c) => errorResponse(error, c);

/**
 * 404 problem+json for routes the app does not have. Register with `app.notFound(handleNotFound)`.
 *
 * @example
 * app.notFound(handleNotFound);
 */
export const handleNotFound: NotFoundHandler<TenantEnv> = (c) => errorResponse(new NotFoundError("route"), c);
