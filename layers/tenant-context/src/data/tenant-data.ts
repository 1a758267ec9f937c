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
  /** one document client for every tenant, in place of the default (tests and benchmarks) */
  client?: DynamoDBDocumentClient;
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

/** What the data source keeps per tenant: its client, and its tables as of its registry record. */
interface TenantEntry {
  client: DynamoDBDocumentClient;
  dedicatedTables: Record<string, string> | undefined;
  data: TenantData;
}

/**
 * Creates the data source of a service. Create once per container. A tenant's client and table
 * views are kept (bounded, least recently used out) and reused by its next requests; new views are
 * made when its registry record names other dedicated tables.
 *
 * @example
 * const data = createTenantDataSource({ tables: { products: requireEnv("PRODUCTS_TABLE") }, credentials });
 * const products = data.forTenant("acme").table("products");
 */
export function createTenantDataSource(options: TenantDataOptions): TenantDataSource {
  const shared = options.client ?? (options.credentials ? undefined : documentClient(new DynamoDBClient({})));
  const tenants = new LRUCache<string, TenantEntry>({
    max: options.maxTenants ?? 100,
    // a tenant's entry is replaced when its tables change, but its client stays in use
    noDisposeOnSet: true,
    dispose: ({ client }) => {
      if (client !== shared) client.destroy();
    },
  });

  function tenantData(
    client: DynamoDBDocumentClient,
    tenantId: string,
    dedicatedTables: Record<string, string> | undefined,
  ): TenantData {
    const views = new Map<string, TenantTable>();
    return {
      table(name) {
        let view = views.get(name);
        if (!view) {
          const tableName = dedicatedTables?.[name] ?? options.tables[name];
          if (!tableName) throw new Error(`table '${name}' is not configured for this service`);
          view = createTenantScopedTable({ client, tableName, tenantId });
          views.set(name, view);
        }
        return view;
      },
    };
  }

  return {
    forTenant(tenantId, dedicatedTables) {
      const entry = tenants.get(tenantId);
      if (entry && entry.dedicatedTables === dedicatedTables) return entry.data;
      const client =
        entry?.client ??
        shared ??
        documentClient(new DynamoDBClient({ credentials: options.credentials?.forTenant(tenantId) }));
      const data = tenantData(client, tenantId, dedicatedTables);
      tenants.set(tenantId, { client, dedicatedTables, data });
      return data;
    },
  };
}
