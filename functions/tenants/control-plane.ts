/** Wires the control plane's use cases to AWS, from the environment, once per container. */
import { createCognitoIdentityProvider } from "@tenantkit/shared/identity-provider";
import { createUserDirectory } from "@tenantkit/shared/user-directory";
import {
  createAppConfig,
  createEventPublisher,
  createTenantDataSource,
  logger,
  registryMaxAgeSeconds,
  requireEnv,
  SILO_TIER,
  tenantDataCredentials,
  tierSettings,
  USAGE_TABLE_NAME,
} from "@tenantkit/tenant-context";
import { createSecretsManagerTenantSecrets } from "./adapters/aws-tenant-secrets.ts";
import { createApiGatewayUsageKeys } from "./adapters/aws-usage-keys.ts";
import { createDynamoDbSiloTables } from "./adapters/dynamodb-silo-tables.ts";
import { createDynamoDbTenantRecords } from "./adapters/dynamodb-tenant-records.ts";
import { createTenantDataAdmin } from "./adapters/tenant-data-admin.ts";
import type { LifecycleEvents } from "./ports.ts";
import type { ChangeTierDeps } from "./use-cases/change-tier.ts";
import type { OffboardingDeps } from "./use-cases/offboard-tenant.ts";
import { ONBOARDING_STEPS, type OnboardingDeps, type OnboardingStep } from "./use-cases/onboard-tenant.ts";

/**
 * Tables that hold tenant data and move with the tenant between pooled and silo (logical name -> env
 * variable); the tenant data role names each tenant's dedicated copy of each (template.yaml).
 */
export const DATA_TABLE_VARIABLES = {
  products: "PRODUCTS_TABLE",
  orders: "ORDERS_TABLE",
  audit: "AUDIT_TABLE",
} as const;

export interface ControlPlane {
  onboarding: OnboardingDeps;
  tierChange: ChangeTierDeps;
  offboarding: OffboardingDeps;
  /**
   * The same control plane, its lifecycle events carrying the request's correlation id and the user
   * who made it (none for a public sign-up).
   */
  forRequest(correlationId: string, userId?: string): ControlPlane;
}

function failAtFromConfig(env: NodeJS.ProcessEnv): OnboardingStep | undefined {
  const step = env.ONBOARDING_FAIL_AT_STEP;
  if (!step) return undefined;
  if (!(ONBOARDING_STEPS as readonly string[]).includes(step)) {
    throw new Error(`ONBOARDING_FAIL_AT_STEP must be one of ${ONBOARDING_STEPS.join(", ")}`);
  }
  return step as OnboardingStep;
}

/**
 * How long a request or event a container admitted with its cached copy of a tenant's record may
 * still be writing: `ADMITTED_WORK_SECONDS` (template parameter `AdmittedWorkSeconds`), 30 s when
 * unset or invalid: the services' Lambda timeout (29 s) and the audit consumer's (30 s). The
 * exports run longer, but write only their usage count, when admitted.
 */
export function admittedWorkSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.ADMITTED_WORK_SECONDS ?? 30);
  return Number.isFinite(value) && value >= 0 ? value : 30;
}

/** Builds every adapter from the environment; fails at cold start naming a missing variable. */
export function createControlPlane(env: NodeJS.ProcessEnv = process.env): ControlPlane {
  const dataTables = Object.fromEntries(
    Object.entries(DATA_TABLE_VARIABLES).flatMap(([name, variable]) => (env[variable] ? [[name, env[variable]]] : [])),
  ) as Record<string, string>;
  const users = requireEnv("USERS_TABLE", env);
  const usage = requireEnv("USAGE_TABLE", env);
  // The layer's records of a tenant besides its data, keyed by tenant like it: the stored answers of
  // idempotent requests and the events waiting in the outbox. Offboarding deletes them.
  const bookkeepingTables = {
    idempotency: requireEnv("IDEMPOTENCY_TABLE", env),
    outbox: requireEnv("OUTBOX_TABLE", env),
  };
  const dataSource = createTenantDataSource({
    tables: { ...dataTables, users, [USAGE_TABLE_NAME]: usage, ...bookkeepingTables },
    // The container's sessions, shared with the tenant context of the same function.
    credentials: tenantDataCredentials(requireEnv("TENANT_DATA_ROLE_ARN", env)),
  });
  const records = createDynamoDbTenantRecords(requireEnv("TENANTS_TABLE", env));
  const identity = createCognitoIdentityProvider(requireEnv("USER_POOL_ID", env));
  const stage = requireEnv("STAGE", env);
  // One configuration reader, so the tier configuration is read through one Powertools cache.
  const config = createAppConfig({ stage });
  const usageKeys = createApiGatewayUsageKeys({
    // From the tier configuration: see its comment in template.yaml.
    usagePlanId: async () => {
      const { usagePlanId } = await tierSettings(config, SILO_TIER);
      if (!usagePlanId) throw new Error(`the tier configuration names no usage plan for ${SILO_TIER}`);
      return usagePlanId;
    },
    keyNamePrefix: requireEnv("STACK_NAME", env),
  });
  const secrets = createSecretsManagerTenantSecrets(stage);
  const siloTables = createDynamoDbSiloTables({ pooledTables: dataTables, prefix: requireEnv("STACK_NAME", env) });
  const publisher = env.EVENT_BUS_NAME
    ? createEventPublisher({ source: "tenantkit.tenants", busName: env.EVENT_BUS_NAME })
    : undefined;
  // A lifecycle event is published once its change has committed: if EventBridge fails it (after
  // the publisher's retries), the change stands and is answered as done; the lost event is logged
  // for an operator (it misses only from the audit trail).
  const eventsFor = (correlationId?: string, userId?: string): LifecycleEvents | undefined =>
    publisher && {
      publish: async (tenantId, type, data) => {
        await publisher.publish({ tenantId, type, data, correlationId, userId }).catch((error: unknown) => {
          logger.error("lifecycle event not published; the change it reports stands", {
            tenant_id: tenantId,
            event_type: type,
            error: error as Error,
          });
        });
      },
    };
  const directory = (tenantId: string) => createUserDirectory(dataSource.forTenant(tenantId).table("users"));
  const movable = createTenantDataAdmin({ dataSource, tableNames: Object.keys(dataTables) });
  const everything = createTenantDataAdmin({
    dataSource,
    tableNames: [...Object.keys(dataTables), "users", USAGE_TABLE_NAME],
  });
  const bookkeeping = createTenantDataAdmin({ dataSource, tableNames: Object.keys(bookkeepingTables) });
  const settleMs = (registryMaxAgeSeconds(env) + admittedWorkSeconds(env)) * 1000;
  const settle = () => new Promise<void>((resolve) => setTimeout(resolve, settleMs));

  const withEvents = (events: LifecycleEvents | undefined): ControlPlane => ({
    onboarding: {
      records,
      identity,
      usageKeys,
      secrets,
      siloTables,
      ...(events && { events }),
      directory: {
        addUser: async (tenantId, user) => {
          const now = new Date().toISOString();
          await directory(tenantId).put({
            ...user,
            role: "tenant-admin",
            enabled: true,
            createdAt: now,
            updatedAt: now,
          });
        },
        removeUser: (tenantId, userId) => directory(tenantId).remove(userId),
      },
      failAt: failAtFromConfig(env),
    },
    tierChange: {
      records,
      data: movable,
      siloTables,
      usageKeys,
      ...(events && { events }),
      settle,
    },
    offboarding: {
      records,
      data: everything,
      identity,
      secrets,
      siloTables,
      usageKeys,
      ...(events && { events }),
      bookkeeping,
      users: (tenantId) => directory(tenantId).all(),
      settle,
    },
    forRequest: (correlationId, userId) => withEvents(eventsFor(correlationId, userId)),
  });
  return withEvents(eventsFor());
}
