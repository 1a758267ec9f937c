import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { TenantIsolationError } from "../http/errors.ts";
import { createTenantScopedTable } from "./tenant-scoped-table.ts";

/** A document client that records commands and answers with canned output. */
function recordingClient(output: Record<string, unknown> = {}) {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      sent.push({ name: command.constructor.name, input: command.input });
      return output;
    },
  } as unknown as DynamoDBDocumentClient;
  return { client, sent };
}

const tableName = "products";

describe("createTenantScopedTable", () => {
  it("adds the tenant partition key to every key it sends", async () => {
    const { client, sent } = recordingClient();
    const table = createTenantScopedTable({ client, tableName, tenantId: "acme" });
    await table.get({ productId: "p1" });
    await table.put({ productId: "p1", name: "x" });
    await table.delete({ productId: "p1" });
    expect(sent.map((c) => c.input.Key ?? c.input.Item)).toEqual([
      { productId: "p1", tenantId: "acme" },
      { productId: "p1", name: "x", tenantId: "acme" },
      { productId: "p1", tenantId: "acme" },
    ]);
  });

  it("queries only the tenant's partition", async () => {
    const { client, sent } = recordingClient({ Items: [] });
    const table = createTenantScopedTable({ client, tableName, tenantId: "acme" });
    await table.query({
      sortKeyCondition: "begins_with(#sk, :p)",
      names: { "#sk": "productId" },
      values: { ":p": "a" },
    });
    expect(sent[0]?.input).toMatchObject({
      KeyConditionExpression: "#tenantKey = :tenantKey AND begins_with(#sk, :p)",
      ExpressionAttributeNames: { "#tenantKey": "tenantId", "#sk": "productId" },
      ExpressionAttributeValues: { ":tenantKey": "acme", ":p": "a" },
    });
  });

  it("refuses a key or item naming another tenant, before sending anything", async () => {
    const { client, sent } = recordingClient();
    const table = createTenantScopedTable({ client, tableName, tenantId: "acme" });
    await expect(table.get({ tenantId: "globex", productId: "p1" })).rejects.toBeInstanceOf(TenantIsolationError);
    await expect(table.put({ tenantId: "globex", productId: "p1" })).rejects.toBeInstanceOf(TenantIsolationError);
    await expect(table.query({ startKey: { tenantId: "globex", productId: "p1" } })).rejects.toBeInstanceOf(
      TenantIsolationError,
    );
    expect(sent).toEqual([]);
  });

  it("refuses expression placeholders that could override the tenant key", async () => {
    const { client } = recordingClient({ Items: [] });
    const table = createTenantScopedTable({ client, tableName, tenantId: "acme" });
    await expect(table.query({ values: { ":tenantKey": "globex" } })).rejects.toBeInstanceOf(TenantIsolationError);
  });

  it("treats an item of another tenant coming back as a violation, never as data", async () => {
    const { client } = recordingClient({
      Item: { tenantId: "globex", productId: "p1" },
      Items: [{ tenantId: "globex" }],
    });
    const table = createTenantScopedTable({ client, tableName, tenantId: "acme" });
    await expect(table.get({ productId: "p1" })).rejects.toBeInstanceOf(TenantIsolationError);
    await expect(table.query()).rejects.toBeInstanceOf(TenantIsolationError);
  });

  it("returns items and next keys without the tenant key", async () => {
    const { client } = recordingClient({
      Items: [{ tenantId: "acme", productId: "p1" }],
      LastEvaluatedKey: { tenantId: "acme", productId: "p1" },
    });
    const table = createTenantScopedTable({ client, tableName, tenantId: "acme" });
    expect(await table.query()).toEqual({ items: [{ productId: "p1" }], nextKey: { productId: "p1" } });
  });

  it("refuses a transaction that includes another tenant's table view", async () => {
    const { client, sent } = recordingClient();
    const mine = createTenantScopedTable({ client, tableName, tenantId: "acme" });
    const theirs = createTenantScopedTable({ client, tableName, tenantId: "globex" });
    await expect(
      mine.transactWrite([
        { table: mine, put: { productId: "p1" } },
        { table: theirs, delete: { productId: "p2" } },
      ]),
    ).rejects.toBeInstanceOf(TenantIsolationError);
    expect(sent).toEqual([]);
  });
});
