/** An order whose idempotency record is lost after it committed: the key still places exactly one order (moto). */

import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createEventPublisher } from "@tenantkit/tenant-context";
import { activeTenantRegistry } from "@tenantkit/tenant-context/testing";
import { afterEach, describe, expect, inject, it } from "vitest";
import { localTenantData } from "../../test/support/tenant-data.ts";
import { createProductStore } from "../products/product-store.ts";
import { createProduct } from "../products/use-cases/create-product.ts";
import { createOrdersApp } from "./app.ts";

const { context } = inject("localAws");
const tenant = `ord-lost-${Date.now().toString(36)}`;

const data = localTenantData(context, { orders: "OrdersTable", products: "ProductsTable", outbox: "OutboxTable" });

/** The idempotency table's client: `failNextUpdate` throttles its next UpdateItem (Powertools' saveSuccess). */
let failNextUpdate = false;
const idempotencyClient = new DynamoDBClient({});
idempotencyClient.middlewareStack.add(
  (next, { commandName }) =>
    async (args) => {
      if (failNextUpdate && commandName === "UpdateItemCommand") {
        failNextUpdate = false;
        throw Object.assign(new Error("Rate exceeded"), {
          name: "ThrottlingException",
          $fault: "client",
          $metadata: { httpStatusCode: 400 },
        });
      }
      return next(args);
    },
  { step: "initialize", name: "throttleNextUpdate" },
);
afterEach(() => {
  failNextUpdate = false;
});

const app = createOrdersApp({
  dataSource: data,
  metering: false,
  registry: activeTenantRegistry(),
  events: {
    publisher: createEventPublisher({ busName: "b", source: "tenantkit.orders", sender: { send: async () => {} } }),
    outboxTable: "outbox",
  },
  idempotency: {
    tableName: context.refs.IdempotencyTable as string,
    client: idempotencyClient,
  },
});

/** The in-progress window of an idempotency record is the Lambda's remaining time: short here. */
const REMAINING_MS = 1000;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await app.request(
    path,
    {
      method,
      headers: { ...(body !== undefined && { "Content-Type": "application/json" }), ...headers },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    },
    {
      event: {
        requestContext: {
          requestId: crypto.randomUUID(),
          authorizer: { tenantId: tenant, tier: "basic", userId: "u", roles: "tenant-user" },
        },
      },
      lambdaContext: { getRemainingTimeInMillis: () => REMAINING_MS },
    },
  );
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text && JSON.parse(text) };
}

const order = (items: { productId: string; quantity: number }[], key: string) =>
  call("POST", "/orders", { items }, { "Idempotency-Key": key });

const products = () => createProductStore(data.forTenant(tenant).table("products"));
const product = (name: string, stock: number) =>
  createProduct(products(), { name, priceCents: 1000, currency: "EUR", stock });
const stockOf = async (productId: string) => (await products().get(productId))?.stock;
const ordersOf = async (productId: string) =>
  (await call("GET", "/orders?limit=100")).body.items.filter(
    (o: { items: { productId: string }[] }) => o.items[0]?.productId === productId,
  );
const pastTheInProgressWindow = () => new Promise((resolve) => setTimeout(resolve, REMAINING_MS + 500));

describe("an order whose idempotency record was not saved after it committed", () => {
  it("answers 201, and a retry with the key after the in-progress window gets that order, not a second one", async () => {
    const lamp = await product("Lamp", 10);
    const key = crypto.randomUUID();

    failNextUpdate = true;
    const first = await order([{ productId: lamp.id, quantity: 1 }], key);
    expect(failNextUpdate, "the idempotency record's update was attempted").toBe(false);
    expect(first.status).toBe(201);
    expect(first.headers.get("location")).toBe(`/orders/${first.body.id}`);
    expect(await stockOf(lamp.id)).toBe(9);

    // The record is still INPROGRESS: the idempotency layer answers a concurrent duplicate.
    const meanwhile = await order([{ productId: lamp.id, quantity: 1 }], key);
    expect(meanwhile.status).toBe(409);
    expect(meanwhile.headers.get("retry-after")).toBe("1");

    await pastTheInProgressWindow();
    const retried = await order([{ productId: lamp.id, quantity: 1 }], key);
    expect(retried.status).toBe(201);
    expect(retried.body).toEqual(first.body);
    expect(retried.headers.get("location")).toBe(`/orders/${first.body.id}`);

    // That answer was stored this time: the next retry is a replay.
    const replayed = await order([{ productId: lamp.id, quantity: 1 }], key);
    expect(replayed.status).toBe(201);
    expect(replayed.headers.get("idempotent-replayed")).toBe("true");
    expect(replayed.body).toEqual(first.body);

    expect(await stockOf(lamp.id)).toBe(9);
    expect((await ordersOf(lamp.id)).map((o: { id: string }) => o.id)).toEqual([first.body.id]);
  });

  it("refuses the key with another body with 422, placing nothing", async () => {
    const desk = await product("Desk", 10);
    const key = crypto.randomUUID();

    failNextUpdate = true;
    const first = await order([{ productId: desk.id, quantity: 1 }], key);
    expect(first.status).toBe(201);

    await pastTheInProgressWindow();
    const other = await order([{ productId: desk.id, quantity: 2 }], key);
    expect(other.status).toBe(422);
    expect(other.headers.get("content-type")).toBe("application/problem+json");
    expect(other.body.detail).toMatch(/different request body/);

    expect(await stockOf(desk.id)).toBe(9);
    expect((await ordersOf(desk.id)).map((o: { id: string }) => o.id)).toEqual([first.body.id]);
  });
});
