/**
 * @module
 * The tenant-context layer: the one place multi-tenancy lives. It verifies Cognito JWTs (the
 * Lambda authorizer and the `tenantContext()` middleware), binds data access to the caller's
 * tenant (STS session tags for IAM, key checks in process), tags logs and metrics with tenant
 * and tier, and maps errors to `application/problem+json`. Services import from here and stay
 * tenant-agnostic. Built into one bundled file at `/opt/nodejs/node_modules/@tenantkit/tenant-context`.
 */
export { type AuthorizerContext, type AuthorizerHandler, createAuthorizer } from "./auth/authorizer.ts";
export { createPreTokenGenerationHandler } from "./auth/pre-token-generation.ts";
export { ROLES, type Role } from "./auth/roles.ts";
export {
  createTokenRevocations,
  isRevoked,
  REVOKED_TOKENS_ATTRIBUTE,
  type TenantTokenRevocations,
  type TokenRevocations,
  tokenRefusal,
} from "./auth/token-revocations.ts";
export {
  createTokenVerifier,
  TENANT_CLAIM,
  TENANT_ID_PATTERN,
  type TokenVerifier,
  type VerifiedIdentity,
} from "./auth/token-verifier.ts";
export { type AppConfig, createAppConfig } from "./config/app-config.ts";
export {
  createTenantSecrets,
  type TenantSecrets,
  type TenantSecretsSource,
  tenantSecretName,
} from "./config/tenant-secrets.ts";
export { awsRegion, requireEnv } from "./config.ts";
export { createTenantCredentials, type TenantCredentials, tenantDataCredentials } from "./data/tenant-credentials.ts";
export { createTenantDataSource, type TenantData, type TenantDataSource } from "./data/tenant-data.ts";
export {
  ConditionFailedError,
  createTenantScopedTable,
  type Item,
  type QueryPage,
  TENANT_KEY,
  type TenantTable,
  type TransactionWrite,
} from "./data/tenant-scoped-table.ts";
export { countRequest, QuotaExceededError, type UsageToday, usageToday } from "./data/usage-meter.ts";
export * from "./events/index.ts";
export {
  ConflictError,
  type FieldError,
  FieldProblemError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  PROBLEM_CONTENT_TYPE,
  ProblemError,
  problemResponse,
  ServiceUnavailableError,
  TenantIsolationError,
  TooManyRequestsError,
  UnauthorizedError,
  ValidationError,
} from "./http/errors.ts";
export { jsonDepth, limitJsonDepth, MAX_JSON_DEPTH } from "./http/json-depth.ts";
export { handle, streamHandle } from "./http/lambda-handlers.ts";
export { NDJSON_CONTENT_TYPE, ndjsonResponse } from "./http/ndjson.ts";
export {
  handleError,
  handleNotFound,
  type LambdaBindings,
  publicRequestContext,
  requireRole,
  type Tenant,
  type TenantContextOptions,
  type TenantEnv,
  tenantContext,
  USAGE_TABLE_NAME,
} from "./http/tenant-context.ts";
export * from "./idempotency/index.ts";
export { CORRELATION_HEADER, correlationIdOf } from "./observability/correlation.ts";
export { logFailure, logger } from "./observability/logger.ts";
export { MetricUnit, metrics, type RequestMetrics } from "./observability/metrics.ts";
export {
  createTenantRegistry,
  registryMaxAgeSeconds,
  SILO_TIER,
  TENANT_STATUSES,
  type TenantRecord,
  type TenantRegistry,
  type TenantStatus,
  TIERS,
  type Tier,
} from "./registry/tenant-registry.ts";
export { type TierConfig, type TierSettings, tenantDailyQuota, tierSettings } from "./registry/tier-config.ts";
