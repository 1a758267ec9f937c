import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from "@aws-sdk/lib-dynamodb";
import { afterAll, describe, expect, inject, it } from "vitest";

const { context } = inject("localAws");
const products = context.refs.ProductsTable as string;
const orders = context.refs.OrdersTable as string;
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const tenantId = `tx-${Date.now().toString(36)}`;

afterAll(() => db.destroy());

const stock = async (productId: string) =>
  (await db.send(new GetCommand({ TableName: products, Key: { tenantId, productId } }))).Item?.stock;

const reserve = (productId: string, orderId: string) =>
  db.send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Put: { TableName: orders, Item: { tenantId, orderId }, ConditionExpression: "attribute_not_exists(orderId)" },
        },
        {
          Update: {
            TableName: products,
            Key: { tenantId, productId },
            UpdateExpression: "SET stock = stock - :one",
            ConditionExpression: "stock >= :one",
            ExpressionAttributeValues: { ":one": 1 },
          },
        },
      ],
    }),
  );

describe("DynamoDB transactions on the project's moto server (tools/local/moto_server.py)", () => {
  it("are atomic under concurrency: 50 transactions for the last 10 units, exactly 10 commit, none half-way", async () => {
    const productId = crypto.randomUUID();
    await db.send(new PutCommand({ TableName: products, Item: { tenantId, productId, stock: 10 } }));
    const orderIds = Array.from({ length: 50 }, () => `${productId}#${crypto.randomUUID()}`);

    const results = await Promise.allSettled(orderIds.map((orderId) => reserve(productId, orderId)));

    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(10);
    expect(await stock(productId)).toBe(0);
    const { Items = [] } = await db.send(
      new QueryCommand({
        TableName: orders,
        KeyConditionExpression: "tenantId = :t AND begins_with(orderId, :p)",
        ExpressionAttributeValues: { ":t": tenantId, ":p": productId },
      }),
    );
    expect(Items).toHaveLength(10);
  });

  it("leave every item as it was when a condition fails, including writes ordered before the failing one", async () => {
    const productId = crypto.randomUUID();
    const existingOrder = `${productId}#existing`;
    await db.send(new PutCommand({ TableName: products, Item: { tenantId, productId, stock: 1, name: "before" } }));
    await db.send(new PutCommand({ TableName: orders, Item: { tenantId, orderId: existingOrder, note: "before" } }));

    const attempt = db.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: orders, Item: { tenantId, orderId: `${productId}#new` } } },
          {
            Update: {
              TableName: orders,
              Key: { tenantId, orderId: existingOrder },
              UpdateExpression: "SET note = :n",
              ExpressionAttributeValues: { ":n": "after" },
            },
          },
          {
            Update: {
              TableName: products,
              Key: { tenantId, productId },
              UpdateExpression: "SET #n = :n",
              ExpressionAttributeNames: { "#n": "name" },
              ExpressionAttributeValues: { ":n": "after" },
            },
          },
          {
            ConditionCheck: {
              TableName: products,
              Key: { tenantId, productId: "missing" },
              ConditionExpression: "attribute_exists(productId)",
            },
          },
        ],
      }),
    );

    await expect(attempt).rejects.toMatchObject({ name: "TransactionCanceledException" });
    expect(
      (await db.send(new GetCommand({ TableName: orders, Key: { tenantId, orderId: `${productId}#new` } }))).Item,
    ).toBeUndefined();
    expect(
      (await db.send(new GetCommand({ TableName: orders, Key: { tenantId, orderId: existingOrder } }))).Item?.note,
    ).toBe("before");
    expect((await db.send(new GetCommand({ TableName: products, Key: { tenantId, productId } }))).Item).toEqual({
      tenantId,
      productId,
      stock: 1,
      name: "before",
    });
    await db.send(new DeleteCommand({ TableName: orders, Key: { tenantId, orderId: existingOrder } }));
  });
});
