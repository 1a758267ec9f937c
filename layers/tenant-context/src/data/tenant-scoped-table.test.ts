import { TransactionCanceledException, TransactionConflictException } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { ServiceUnavailableError, TenantIsolationError, toProblemError } from "../http/errors.ts";
import { createTenantScopedTable, type Item, type TenantTable } from "./tenant-scoped-table.ts";

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

/** Awaits `call` and checks it failed as an isolation violation: a bare 500, the reason kept server-side only. */
async function expectViolation(call: Promise<unknown>, reason: RegExp) {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TenantIsolationError);
  expect((error as TenantIsolationError).violation).toMatch(reason);
  expect((error as TenantIsolationError).toProblem()).toEqual({
    type: "about:blank",
    title: "Internal Server Error",
    status: 500,
  });
}

/** Every key and item in a sent command, wherever the command keeps them. */
function keysAndItems(value: unknown): Item[] {
  if (Array.isArray(value)) return value.flatMap(keysAndItems);
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([name, inner]) => {
    if (name === "Key" || name === "Item" || name === "ExclusiveStartKey") return [inner as Item];
    if (name === "Keys") return inner as Item[];
    return keysAndItems(inner);
  });
}

const update = { update: "SET #name = :name", names: { "#name": "name" }, values: { ":name": "x" } };

/**
 * Every operation the table offers, each called with `suspect` as one key or item among keys of the
 * caller's own; transactions put it in a write on a second table of the same tenant.
 */
const callsWithKey: [string, (table: TenantTable, suspect: Item, orders: TenantTable) => Promise<unknown>][] = [
  ["get", (t, k) => t.get(k)],
  ["put", (t, k) => t.put({ ...k, name: "x" })],
  ["update", (t, k) => t.update(k, update)],
  ["delete", (t, k) => t.delete(k)],
  ["query start key", (t, k) => t.query({ startKey: k })],
  ["batchGet, one key of three", (t, k) => t.batchGet([{ productId: "p1" }, k, { productId: "p2" }])],
  ["batchWrite, one put of several", (t, k) => t.batchWrite({ puts: [{ productId: "p1" }, k], deletes: [] })],
  [
    "batchWrite, one delete after valid puts",
    (t, k) => t.batchWrite({ puts: [{ productId: "p1" }], deletes: [{ productId: "p2" }, k] }),
  ],
  [
    "transactWrite put",
    (t, k, o) =>
      t.transactWrite([
        { table: t, put: { productId: "p1" } },
        { table: o, put: k },
      ]),
  ],
  [
    "transactWrite update",
    (t, k, o) =>
      t.transactWrite([
        { table: t, put: { productId: "p1" } },
        { table: o, update: k, options: update },
      ]),
  ],
  [
    "transactWrite delete",
    (t, k, o) =>
      t.transactWrite([
        { table: t, delete: { productId: "p1" } },
        { table: o, delete: k },
      ]),
  ],
  [
    "transactWrite conditionCheck",
    (t, k, o) =>
      t.transactWrite([
        { table: t, put: { productId: "p1" } },
        { table: o, conditionCheck: k, options: { condition: "attribute_exists(orderId)" } },
      ]),
  ],
];

/** A stored item of another tenant, and one with no tenant key at all. */
const globexItem = { tenantId: "globex", productId: "p9", name: "secret" };
const ownerless = { productId: "p9", name: "secret" };
const acmeItem = { tenantId: "acme", productId: "p1" };

/** Every place an item read from DynamoDB comes back to the caller, with the client's canned answer. */
const foreignResults: [string, Record<string, unknown>, (table: TenantTable) => Promise<unknown>][] = [
  ["get Item", { Item: globexItem }, (t) => t.get({ productId: "p9" })],
  ["query Items, one of several", { Items: [acmeItem, globexItem] }, (t) => t.query()],
  ["query Items, an item without a tenant key", { Items: [ownerless] }, (t) => t.query()],
  ["query LastEvaluatedKey", { Items: [acmeItem], LastEvaluatedKey: globexItem }, (t) => t.query()],
  [
    "batchGet Responses, one of several",
    { Responses: { [tableName]: [acmeItem, globexItem] } },
    (t) => t.batchGet([{ productId: "p1" }, { productId: "p9" }]),
  ],
  ["update Attributes", { Attributes: globexItem }, (t) => t.update({ productId: "p9" }, update)],
  ["update Attributes without a tenant key", { Attributes: ownerless }, (t) => t.update({ productId: "p9" }, update)],
  ["delete Attributes", { Attributes: globexItem }, (t) => t.delete({ productId: "p9" })],
];

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

  it.each(callsWithKey)("%s: refuses a key naming another tenant and sends nothing", async (_, call) => {
    const { client, sent } = recordingClient();
    const table = createTenantScopedTable({ client, tableName, tenantId: "acme" });
    const orders = createTenantScopedTable({ client, tableName: "orders", tenantId: "acme" });
    await expectViolation(call(table, { tenantId: "globex", productId: "p9" }, orders), /another tenant's partition/);
    expect(sent).toEqual([]);
  });

  it.each(callsWithKey)("%s: sends the same key naming the caller's own tenant, scoped", async (_, call) => {
    const { client, sent } = recordingClient({ Attributes: { tenantId: "acme", productId: "p9" }, Items: [] });
    const table = createTenantScopedTable({ client, tableName, tenantId: "acme" });
    const orders = createTenantScopedTable({ client, tableName: "orders", tenantId: "acme" });
    await call(table, { tenantId: "acme", productId: "p9" }, orders);
    const keys = keysAndItems(sent.map((c) => c.input));
    expect(keys).toContainEqual(expect.objectContaining({ tenantId: "acme", productId: "p9" }));
    for (const key of keys) expect(key).toMatchObject({ tenantId: "acme" });
  });

  it.each(foreignResults)(
    "%s: another tenant's item coming back is a violation, never data",
    async (_, output, call) => {
      const { client } = recordingClient(output);
      const table = createTenantScopedTable({ client, tableName, tenantId: "acme" });
      await expectViolation(call(table), /returned another tenant's item/);
    },
  );

  it.each([
    [
      "batchGet UnprocessedKeys",
      { UnprocessedKeys: { [tableName]: { Keys: [{ tenantId: "globex", productId: "p9" }] } } },
      (t: TenantTable) => t.batchGet([{ productId: "p9" }]),
    ],
    [
      "batchWrite UnprocessedItems",
      { UnprocessedItems: { [tableName]: [{ PutRequest: { Item: globexItem } }] } },
      (t: TenantTable) => t.batchWrite({ puts: [{ productId: "p9" }] }),
    ],
  ] as const)("%s naming another tenant is a violation, never sent again", async (_, output, call) => {
    const { client, sent } = recordingClient(output);
    const table = createTenantScopedTable({ client, tableName, tenantId: "acme" });
    await expectViolation(call(table), /named another tenant's partition/);
    expect(sent).toHaveLength(1);
  });

  it.each<[string, (table: TenantTable, values: Item) => Promise<unknown>]>([
    ["query", (t, values) => t.query({ values })],
    ["put", (t, values) => t.put({ productId: "p1" }, { condition: "attribute_not_exists(productId)", values })],
    ["update", (t, values) => t.update({ productId: "p1" }, { update: "SET price = :p", values })],
    ["delete", (t, values) => t.delete({ productId: "p1" }, { condition: "price = :p", values })],
    [
      "transactWrite",
      (t, values) =>
        t.transactWrite([{ table: t, put: { productId: "p1" }, options: { condition: "x = :p", values } }]),
    ],
  ])("%s: refuses expression placeholders reserved for the tenant key", async (_, call) => {
    const { client, sent } = recordingClient({ Items: [] });
    const table = createTenantScopedTable({ client, tableName, tenantId: "acme" });
    await expectViolation(call(table, { ":p": 1, ":tenantKey": "globex" }), /reserved for the tenant key/);
    expect(sent).toEqual([]);
  });

  it("offers no scan, nor any operation beyond the checked ones", () => {
    const { client } = recordingClient();
    const table = createTenantScopedTable({ client, tableName, tenantId: "acme" });
    expect(table).not.toHaveProperty("scan");
    expect(Object.keys(table).sort()).toEqual([
      "batchGet",
      "batchWrite",
      "delete",
      "get",
      "put",
      "query",
      "tableName",
      "tenantId",
      "transactWrite",
      "update",
    ]);
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

  it("sends a transaction's writes only to tables of views it made, whatever the objects handed in say", async () => {
    const { client, sent } = recordingClient();
    const mine = createTenantScopedTable({ client, tableName, tenantId: "acme" });
    // A look-alike of a view, naming another table for the same tenant.
    const lookAlike = { ...mine, tableName: "stack-tenants" } as TenantTable;
    await expectViolation(
      mine.transactWrite([{ table: lookAlike, update: { productId: "p1" }, options: { update: "SET tier = :t" } }]),
      /no tenant view/,
    );
    // A view is frozen: its table cannot be renamed to send a write elsewhere.
    expect(() => {
      (mine as { tableName: string }).tableName = "stack-tenants";
    }).toThrow(TypeError);
    await mine.transactWrite([{ table: mine, put: { productId: "p1" } }]);
    expect(sent.map(({ input }) => input)).toEqual([
      { TransactItems: [{ Put: { TableName: tableName, Item: { productId: "p1", tenantId: "acme" } } }] },
    ]);
  });

  it.each(["", "ACME", "acme/payments", "acme#x", "../globex"])(
    "refuses to make a view for %j, which is not a tenant id",
    (tenantId) => {
      const { client } = recordingClient();
      expect(() => createTenantScopedTable({ client, tableName, tenantId })).toThrow(TenantIsolationError);
    },
  );
});

describe("consistent reads", () => {
  it("asks DynamoDB for a strongly consistent read when told to, by key and by batch", async () => {
    const { client, sent } = recordingClient({ Responses: { [tableName]: [] } });
    const table = createTenantScopedTable({ client, tableName, tenantId: "acme" });
    await table.get({ productId: "p1" }, { consistent: true });
    await table.batchGet([{ productId: "p1" }], { consistent: true });
    await table.batchGet([{ productId: "p1" }]);
    expect(
      sent.map(
        (c) =>
          c.input.ConsistentRead ??
          (c.input.RequestItems as Record<string, { ConsistentRead?: boolean }> | undefined)?.[tableName]
            ?.ConsistentRead,
      ),
    ).toEqual([true, true, undefined]);
  });
});

describe("cancelled transactions", () => {
  /** A client whose every transaction DynamoDB cancels with these reasons. */
  function cancelling(codes: string[]) {
    const client = {
      send: async () => {
        throw new TransactionCanceledException({
          message: "Transaction cancelled",
          $metadata: {},
          CancellationReasons: codes.map((Code) => ({ Code })),
        });
      },
    } as unknown as DynamoDBDocumentClient;
    const table = createTenantScopedTable({ client, tableName, tenantId: "acme" });
    return table.transactWrite([
      { table, put: { productId: "p1" } },
      { table, update: { productId: "p2" }, options: update },
    ]);
  }

  it("reports the writes whose condition failed", async () => {
    await expect(cancelling(["None", "ConditionalCheckFailed"])).rejects.toMatchObject({
      name: "ConditionFailedError",
      failedIndexes: [1],
    });
  });

  it.each([["TransactionConflict"], ["ThrottlingError"], ["ProvisionedThroughputExceeded"]])(
    "answers %s, which is nobody's mistake, with 503 and Retry-After",
    async (code) => {
      const error = await cancelling(["None", code]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect((error as ServiceUnavailableError).headers).toEqual({ "Retry-After": "1" });
    },
  );
});

describe("toProblemError", () => {
  it("takes a write that met a transaction in flight for a dependency's refusal: 503", () => {
    const conflict = new TransactionConflictException({ message: "conflict", $metadata: {} });
    expect(toProblemError(conflict).status).toBe(503);
  });

  it("takes a dependency's refusal that Powertools Parameters wrapped (its `cause`) for one: 503", () => {
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $fault: "client" });
    const wrapped = new Error("Rate exceeded", { cause: throttled });
    wrapped.name = "GetParameterError";
    expect(toProblemError(wrapped).status).toBe(503);
    expect(toProblemError(new Error("not an outage", { cause: new Error("nor this") })).status).toBe(500);
  });

  it("takes STS throttling a tenant's AssumeRole (its error is named `Throttling`) for a dependency's refusal: 503", () => {
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "Throttling", $fault: "client" });
    expect(toProblemError(throttled).status).toBe(503);
  });
});
