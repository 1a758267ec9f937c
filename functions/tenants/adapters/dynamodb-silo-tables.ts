/** Dedicated tables of silo tenants: copies of the pooled tables' key schemas, named `<stack>-tenant-<id>-<table>`. */
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import type { SiloTables } from "../ports.ts";

export function createDynamoDbSiloTables(options: {
  /** logical name -> pooled table name, e.g. `{ products: "tenantkit-dev-products" }` */
  pooledTables: Record<string, string>;
  /** e.g. the stack name; the data role's policy allows each tenant its own `<prefix>-tenant-<tenantId>-<name>` */
  prefix: string;
  client?: DynamoDBClient;
}): SiloTables {
  const client = options.client ?? new DynamoDBClient({});
  const namesFor = (tenantId: string) =>
    Object.fromEntries(
      Object.keys(options.pooledTables).map((name) => [name, `${options.prefix}-tenant-${tenantId}-${name}`]),
    );
  return {
    namesFor,
    async create(tenantId) {
      const tables: Record<string, string> = {};
      for (const [name, pooled] of Object.entries(options.pooledTables)) {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: pooled }));
        const tableName = namesFor(tenantId)[name] as string;
        try {
          await client.send(
            new CreateTableCommand({
              TableName: tableName,
              BillingMode: "PAY_PER_REQUEST",
              KeySchema: Table?.KeySchema,
              AttributeDefinitions: Table?.AttributeDefinitions,
              ...(Table?.GlobalSecondaryIndexes?.length && {
                GlobalSecondaryIndexes: Table.GlobalSecondaryIndexes.map((index) => ({
                  IndexName: index.IndexName,
                  KeySchema: index.KeySchema,
                  Projection: index.Projection,
                })),
              }),
              SSESpecification: { Enabled: true },
              Tags: [{ Key: "TenantId", Value: tenantId }],
            }),
          );
        } catch (error) {
          if (!(error instanceof ResourceInUseException)) throw error;
        }
        await waitUntilTableExists({ client, maxWaitTime: 120 }, { TableName: tableName });
        tables[name] = tableName;
      }
      return tables;
    },
    async delete(tables) {
      for (const tableName of Object.values(tables)) {
        try {
          await client.send(new DeleteTableCommand({ TableName: tableName }));
        } catch (error) {
          if (!(error instanceof ResourceNotFoundException)) throw error;
        }
      }
    },
  };
}
