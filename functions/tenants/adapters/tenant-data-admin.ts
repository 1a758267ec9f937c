/** Moves, counts and removes a tenant's items in its data tables, through the tenant-scoped tables of the layer. */
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { everyItem } from "@tenantkit/shared/paging";
import { TENANT_KEY, type TenantDataSource, type TenantTable } from "@tenantkit/tenant-context";
import type { TenantDataAdmin } from "../ports.ts";

const PAGE = 100;
const BATCH = 25;

export function createTenantDataAdmin(options: {
  dataSource: TenantDataSource;
  /** logical names of the tenant data tables, e.g. ["products", "orders", "audit"] */
  tableNames: readonly string[];
  client?: DynamoDBClient;
}): TenantDataAdmin {
  const client = options.client ?? new DynamoDBClient({});
  const sortKeys = new Map<string, string[]>();

  /** The key attributes besides the tenant key (read once per table). */
  async function keyAttributes(table: TenantTable): Promise<string[]> {
    let names = sortKeys.get(table.tableName);
    if (!names) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: table.tableName }));
      names = (Table?.KeySchema ?? []).map((k) => k.AttributeName as string).filter((n) => n !== TENANT_KEY);
      sortKeys.set(table.tableName, names);
    }
    return names;
  }

  const tableOf = (tenantId: string, name: string, tables?: Record<string, string>) =>
    options.dataSource.forTenant(tenantId, tables).table(name);

  function items(tenantId: string, name: string, tables?: Record<string, string>) {
    const table = tableOf(tenantId, name, tables);
    return everyItem((startKey) => table.query({ limit: PAGE, ...(startKey && { startKey }) }));
  }

  async function inBatches(
    all: AsyncIterable<Record<string, unknown>>,
    write: (batch: Record<string, unknown>[]) => Promise<void>,
  ) {
    let batch: Record<string, unknown>[] = [];
    let count = 0;
    for await (const item of all) {
      batch.push(item);
      count += 1;
      if (batch.length === BATCH) {
        await write(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await write(batch);
    return count;
  }

  return {
    tableNames: options.tableNames,
    items,

    async copy(tenantId, from, to) {
      const copied: Record<string, number> = {};
      for (const name of options.tableNames) {
        const target = tableOf(tenantId, name, to);
        copied[name] = await inBatches(items(tenantId, name, from), (puts) => target.batchWrite({ puts }));
      }
      return copied;
    },

    async count(tenantId, tables) {
      const counts: Record<string, number> = {};
      for (const name of options.tableNames) {
        counts[name] = await inBatches(items(tenantId, name, tables), async () => {});
      }
      return counts;
    },

    async deleteAll(tenantId, tables) {
      for (const name of options.tableNames) {
        const table = tableOf(tenantId, name, tables);
        const keys = await keyAttributes(table);
        const keyOf = (item: Record<string, unknown>) => Object.fromEntries(keys.map((k) => [k, item[k]]));
        await inBatches(items(tenantId, name, tables), (batch) => table.batchWrite({ deletes: batch.map(keyOf) }));
      }
    },
  };
}
