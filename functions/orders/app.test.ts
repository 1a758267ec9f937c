import { createEventPublisher } from "@tenantkit/tenant-context";
import {
  activeTenantRegistry,
  InMemoryIdempotencyPersistence,
  refusingVerifier,
  unreachableDataSource,
} from "@tenantkit/tenant-context/testing";
import { describe, expect, it } from "vitest";
import { createOrdersApp } from "./app.ts";

const app = createOrdersApp({
  dataSource: unreachableDataSource(),
  verifier: refusingVerifier(),
  metering: false,
  registry: activeTenantRegistry(),
  events: {
    publisher: createEventPublisher({ busName: "bus", source: "tenantkit.orders", sender: { send: async () => {} } }),
    outboxTable: "outbox",
  },
  idempotency: { persistenceStore: new InMemoryIdempotencyPersistence() },
});

const viaAuthorizer = {
  event: {
    requestContext: {
      requestId: "req-1",
      authorizer: { tenantId: "acme", tier: "basic", userId: "u1", roles: "tenant-user" },
    },
  },
  lambdaContext: { getRemainingTimeInMillis: () => 10_000 },
};

const productId = "0b6c1c55-2f1e-4a8e-9d43-7f3f0e7d2c11";

const post = (body: unknown, key: string | null = crypto.randomUUID()) =>
  app.request(
    "/orders",
    {
      method: "POST",
      body: typeof body === "string" ? body : JSON.stringify(body),
      headers: { "Content-Type": "application/json", ...(key && { "Idempotency-Key": key }) },
    },
    viaAuthorizer,
  );

const fieldsOf = async (res: Response) =>
  ((await res.json()).errors as { field: string; location: string }[]).map((e) => `${e.location}:${e.field}`).sort();

describe("orders app: requests refused before any data access", () => {
  it("requires an Idempotency-Key on POST /orders, naming the header", async () => {
    const res = await post({ items: [{ productId, quantity: 1 }] }, null);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await fieldsOf(res)).toEqual(["header:Idempotency-Key"]);
  });

  it("names every invalid line of an order", async () => {
    const res = await post({
      items: [
        { productId: "nope", quantity: 0 },
        { productId, quantity: 1.5 },
      ],
    });
    expect(res.status).toBe(400);
    expect(await fieldsOf(res)).toEqual(["body:items.0.productId", "body:items.0.quantity", "body:items.1.quantity"]);
  });

  it("refuses an order without items, or with the same product twice", async () => {
    expect(await fieldsOf(await post({ items: [] }))).toEqual(["body:items"]);
    expect(await fieldsOf(await post({}))).toEqual(["body:items"]);
    const twice = await post({
      items: [
        { productId, quantity: 1 },
        { productId, quantity: 2 },
      ],
    });
    expect(await fieldsOf(twice)).toEqual(["body:items.1.productId"]);
  });

  it("answers a body that is not JSON with 400, not 500", async () => {
    const res = await post("{not json");
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });

  it("names a malformed id and a malformed status filter", async () => {
    const id = await app.request("/orders/123", {}, viaAuthorizer);
    expect(await fieldsOf(id)).toEqual(["path:id"]);
    const cancel = await app.request("/orders/123/cancel", { method: "POST" }, viaAuthorizer);
    expect(await fieldsOf(cancel)).toEqual(["path:id"]);
    const status = await app.request("/orders?status=SHIPPED", {}, viaAuthorizer);
    expect(await fieldsOf(status)).toEqual(["query:status"]);
    const cursor = await app.request("/orders?cursor=bm9wZQ", {}, viaAuthorizer);
    expect(await fieldsOf(cursor)).toEqual(["query:cursor"]);
    // A well-formed key, but of an Idempotency-Key's marker, not of an order.
    const marker = Buffer.from(JSON.stringify({ orderId: "idempotency-key#k-1" })).toString("base64url");
    const atMarker = await app.request(`/orders?cursor=${marker}`, {}, viaAuthorizer);
    expect(await fieldsOf(atMarker)).toEqual(["query:cursor"]);
  });

  it("documents the Location header that POST /orders sends with its 201", () => {
    const document = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "orders", version: "1" } });
    const created = document.paths?.["/orders"]?.post?.responses?.["201"];
    expect(created).toMatchObject({ headers: { Location: { required: true, schema: { type: "string" } } } });
  });

  it("answers 404 problem+json for a route it does not have", async () => {
    const res = await app.request(
      "/orders/0b6c1c55-2f1e-4a8e-9d43-7f3f0e7d2c11/ship",
      { method: "POST" },
      viaAuthorizer,
    );
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });
});
