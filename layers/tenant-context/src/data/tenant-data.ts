/** Per-tenant data access: one DynamoDB client per tenant (with that tenant's STS credentials), bounded. */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { LRUCache } from "lru-cache";
import type { TenantCredentials } from "./tenant-credentials.ts";
import { createTenantScopedTable, type TenantTable } from "./tenant-scoped-table.ts";

/** The tables a service may reach for the current tenant, by logical name. */
export interface TenantData {
  /** the tenant's view of a table the service declared, e.g. `table("products")` */
  table(name: string): TenantTable;
}

export interface TenantDataOptions {
  /** logical name -> pooled table name, e.g. `{ products: process.env.PRODUCTS_TABLE }` */
  tables: Record<string, string>;
  /** per-tenant credentials; without them the function's own role is used (tests only) */
  credentials?: TenantCredentials;
  maxTenants?: number;
}

export interface TenantDataSource {
  /**
   * The tenant's tables. `dedicatedTables` (logical name -> table) come from the tenant registry
   * for silo tenants and take the place of the pooled tables; the business code is the same.
   */
  forTenant(tenantId: string, dedicatedTables?: Record<string, string>): TenantData;
}

function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/**
 * Creates the data source of a service. Create once per container.
 *
 * @example
 * const data = createTenantDataSource({ tables: { products: requireEnv("PRODUCTS_TABLE") }, credentials });
 * const products = data.forTenant("acme").table("products");
 */
export function createTenantDataSource(options: TenantDataOptions): TenantDataSource {
  const shared = options.credentials ? undefined : documentClient(new DynamoDBClient({}));
  const clients = new LRUCache<string, DynamoDBDocumentClient>({
    max: options.maxTenants ?? 100,
    dispose: (client) => client.destroy(),
  });

  function clientFor(tenantId: string): DynamoDBDocumentClient {
    if (shared) return shared;
    let client = clients.get(tenantId);
    if (!client) {
      client = documentClient(new DynamoDBClient({ credentials: options.credentials?.forTenant(tenantId) }));
      clients.set(tenantId, client);
    }
    return client;
  }

  return {
    forTenant(tenantId, dedicatedTables) {
      const client = clientFor(tenantId);
      return {
        table(name) {
          const tableName = dedicatedTables?.[name] ?? options.tables[name];
          if (!tableName) throw new Error(`table '${name}' is not configured for this service`);
          return createTenantScopedTable({ client, tableName, tenantId });
        },
      };
    },
  };
}
