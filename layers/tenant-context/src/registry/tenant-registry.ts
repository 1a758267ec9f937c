/** Reads tenant records (status, tier) from the tenants table, with a short, bounded cache. */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { LRUCache } from "lru-cache";

/** The tiers a tenant can be on; each has its own limits and features in the tier configuration. */
export const TIERS = ["basic", "standard", "premium", "enterprise"] as const;
export type Tier = (typeof TIERS)[number];

/** PENDING while onboarding; MIGRATING while a tier change moves its data (requests get a retryable 503). */
export const TENANT_STATUSES = ["PENDING", "ACTIVE", "INACTIVE", "MIGRATING", "OFFBOARDING"] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

/** A tenant as the registry stores it. */
export interface TenantRecord {
  tenantId: string;
  name: string;
  tier: Tier;
  status: TenantStatus;
  createdAt: string;
  updatedAt: string;
  /** silo tenants only: logical table name -> the tenant's dedicated table */
  tables?: Record<string, string>;
  /** overrides the tier's per-tenant daily quota */
  dailyQuota?: number;
  /** a dedicated usage-plan key value (enterprise); otherwise the tier's key is used */
  usageKey?: string;
  /** the API Gateway id of that dedicated key */
  usageKeyId?: string;
  /** `<userId>@<second>`: that user's tokens issued (`iat`) before that second are refused (`token-revocations.ts`) */
  revokedTokens?: ReadonlySet<string>;
}

/** The tier whose tenants get dedicated (silo) tables; all others share the pooled tables. */
export const SILO_TIER: Tier = "enterprise";

export interface TenantRegistry {
  /**
   * The tenant's record, or undefined when there is no such tenant. Cached for `maxAgeSeconds`;
   * `fresh` reads it from the table (and caches what it read) for a decision that must not rest
   * on an older copy.
   */
  get(tenantId: string, options?: { fresh?: boolean }): Promise<TenantRecord | undefined>;
}

export interface TenantRegistryOptions {
  tableName: string;
  client?: DynamoDBDocumentClient;
  /**
   * How long a record (or its absence) is trusted. With the authorizer's own cache this bounds
   * how long a deactivated tenant's tokens keep working, so keep the sum under 60 s.
   */
  maxAgeSeconds?: number;
  maxEntries?: number;
}

const MISSING = Symbol("missing");

/** A deactivated tenant must be refused within a minute, so no record is trusted for longer. */
const REGISTRY_MAX_AGE_LIMIT_SECONDS = 60;

/**
 * How long records are trusted: TENANT_REGISTRY_MAX_AGE_SECONDS (from the template), else 30 s; at most 60 s.
 *
 * @example
 * const settleSeconds = registryMaxAgeSeconds(); // until every cached copy of a changed record has expired
 */
export function registryMaxAgeSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.TENANT_REGISTRY_MAX_AGE_SECONDS ?? 30);
  return Number.isFinite(value) && value >= 0 ? Math.min(value, REGISTRY_MAX_AGE_LIMIT_SECONDS) : 30;
}

/**
 * Creates the registry reader. Create once per container.
 *
 * @example
 * const registry = createTenantRegistry({ tableName: requireEnv("TENANTS_TABLE") });
 * const tenant = await registry.get("acme");
 */
export function createTenantRegistry(options: TenantRegistryOptions): TenantRegistry {
  const client = options.client ?? DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const cache = new LRUCache<string, TenantRecord | typeof MISSING>({
    max: options.maxEntries ?? 1000,
    ttl: Math.max(1, Math.min(options.maxAgeSeconds ?? registryMaxAgeSeconds(), REGISTRY_MAX_AGE_LIMIT_SECONDS) * 1000),
    // Ages by the wall clock, not lru-cache's default `performance.now()`: a monotonic clock is not
    // known to advance while Lambda keeps a container frozen between invocations, and a record
    // must not outlive its max age in real time (a deactivated tenant is refused within 60 s).
    perf: { now: () => Date.now() },
    // lru-cache keeps a clock reading for 1 ms, cleared by a timer that a frozen container does not run.
    ttlResolution: 0,
  });

  return {
    async get(tenantId, read) {
      const hit = read?.fresh ? undefined : cache.get(tenantId);
      if (hit !== undefined) return hit === MISSING ? undefined : hit;
      // A record is as old as the read that asked for it: one answered slowly must not outlive its
      // max age counted from when it was current.
      const askedAt = Date.now();
      const { Item } = await client.send(
        new GetCommand({ TableName: options.tableName, Key: { tenantId }, ConsistentRead: true }),
      );
      cache.set(tenantId, (Item as TenantRecord | undefined) ?? MISSING, { start: askedAt });
      return Item as TenantRecord | undefined;
    },
  };
}
