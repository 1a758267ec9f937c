import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import {
  createTenantCredentials,
  createTenantDataSource,
  createTenantRegistry,
  type Tier,
} from "@tenantkit/tenant-context";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { rawItemsOf } from "../../test/support/raw-items.ts";
import { createProductsApp } from "./app.ts";

const { context } = inject("localAws");
const suffix = Date.now().toString(36);
const pooledTable = context.refs.ProductsTable as string;
const siloTenant = `silo-${suffix}`;
const pooledTenant = `pool-${suffix}`;
const siloTable = `${context.pseudo["AWS::StackName"]}-tenant-${siloTenant}-products`;
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));

const app = createProductsApp({
  dataSource: createTenantDataSource({
    tables: { products: pooledTable },
    credentials: createTenantCredentials({ roleArn: context.attributes["TenantDataRole.Arn"] as string }),
  }),
  registry: createTenantRegistry({ tableName: context.refs.TenantsTable as string }),
});

const as = (tenantId: string, tier: Tier) => ({
  event: { requestContext: { requestId: "r", authorizer: { tenantId, tier, userId: "u", roles: "tenant-admin" } } },
});

const idsIn = async (table: string, tenantId: string) =>
  (await rawItemsOf(table, tenantId)).map((item) => item.productId);

async function create(tenantId: string, tier: Tier, name: string) {
  const res = await app.request(
    "/products",
    {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name, priceCents: 1, currency: "EUR", stock: 1 }),
    },
    as(tenantId, tier),
  );
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string };
}

beforeAll(async () => {
  await db.send(
    new CreateTableCommand({
      TableName: siloTable,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: "tenantId", AttributeType: "S" },
        { AttributeName: "productId", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "tenantId", KeyType: "HASH" },
        { AttributeName: "productId", KeyType: "RANGE" },
      ],
    }),
  );
  const now = new Date().toISOString();
  for (const [tenantId, tier, tables] of [
    [siloTenant, "enterprise", { products: siloTable }],
    [pooledTenant, "basic", undefined],
  ] as const) {
    await db.send(
      new PutCommand({
        TableName: context.refs.TenantsTable as string,
        Item: {
          tenantId,
          name: tenantId,
          tier,
          status: "ACTIVE",
          createdAt: now,
          updatedAt: now,
          ...(tables && { tables }),
        },
      }),
    );
  }
});

describe("the same products code for pooled and silo tenants", () => {
  it("writes a silo tenant's products to its dedicated table and a pooled tenant's to the pooled one", async () => {
    const silo = await create(siloTenant, "enterprise", "silo widget");
    const pooled = await create(pooledTenant, "basic", "pooled widget");
    expect(await idsIn(siloTable, siloTenant)).toEqual([silo.id]);
    expect(await idsIn(pooledTable, siloTenant)).toEqual([]);
    expect(await idsIn(pooledTable, pooledTenant)).toEqual([pooled.id]);
    expect(await idsIn(siloTable, pooledTenant)).toEqual([]);
  });

  it("reads and lists a silo tenant's products from its dedicated table", async () => {
    const silo = await create(siloTenant, "enterprise", "another");
    const read = await app.request(`/products/${silo.id}`, {}, as(siloTenant, "enterprise"));
    expect(read.status).toBe(200);
    const list = await app.request("/products", {}, as(siloTenant, "enterprise"));
    const ids = ((await list.json()) as { items: { id: string }[] }).items.map((p) => p.id);
    expect(ids).toEqual((await idsIn(siloTable, siloTenant)).sort());
  });
});
