/** Reads tenant records (status, tier) from the tenants table, with a short, bounded cache. */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { LRUCache } from "lru-cache";

export const TIERS = ["basic", "standard", "premium", "enterprise"] as const;
export type Tier = (typeof TIERS)[number];

export const TENANT_STATUSES = ["PENDING", "ACTIVE", "INACTIVE", "OFFBOARDING"] as const;
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
}

/** The tier whose tenants get dedicated (silo) tables; all others share the pooled tables. */
export const SILO_TIER: Tier = "enterprise";

export interface TenantRegistry {
  /** The tenant's record, or undefined when there is no such tenant. Cached for `maxAgeSeconds`. */
  get(tenantId: string): Promise<TenantRecord | undefined>;
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
    ttl: (options.maxAgeSeconds ?? 30) * 1000,
  });

  return {
    async get(tenantId) {
      const hit = cache.get(tenantId);
      if (hit !== undefined) return hit === MISSING ? undefined : hit;
      const { Item } = await client.send(
        new GetCommand({ TableName: options.tableName, Key: { tenantId }, ConsistentRead: true }),
      );
      cache.set(tenantId, (Item as TenantRecord | undefined) ?? MISSING);
      return Item as TenantRecord | undefined;
    },
  };
}
