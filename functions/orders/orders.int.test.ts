import { createEventPublisher, type EventEntry } from "@tenantkit/tenant-context";
import { activeTenantRegistry } from "@tenantkit/tenant-context/testing";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { rawItemsOf } from "../../test/support/raw-items.ts";
import { localTenantData } from "../../test/support/tenant-data.ts";
import { createProductStore } from "../products/product-store.ts";
import { createProduct } from "../products/use-cases/create-product.ts";
import { createOrdersApp } from "./app.ts";
import { MAX_STOCK } from "./order-store.ts";

const { context } = inject("localAws");
const suffix = Date.now().toString(36);
const acme = `ord-acme-${suffix}`;
const globex = `ord-globex-${suffix}`;

const data = localTenantData(context, { orders: "OrdersTable", products: "ProductsTable", outbox: "OutboxTable" });

/** Events go to a recorder here; event-delivery.int.test.ts follows them through EventBridge and SQS. */
const published: EventEntry[] = [];
const app = createOrdersApp({
  dataSource: data,
  metering: false,
  registry: activeTenantRegistry(),
  events: {
    publisher: createEventPublisher({
      busName: "recorded",
      source: "tenantkit.orders",
      sender: { send: async (entries) => void published.push(...entries) },
    }),
    outboxTable: "outbox",
  },
  idempotency: {
    tableName: context.refs.IdempotencyTable as string,
  },
});

const as = (tenantId: string) => ({
  event: {
    requestContext: {
      requestId: crypto.randomUUID(),
      authorizer: { tenantId, tier: "basic", userId: "u", roles: "tenant-user" },
    },
  },
  lambdaContext: { getRemainingTimeInMillis: () => 29_000 },
});

async function call(
  tenantId: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await app.request(
    path,
    {
      method,
      headers: { ...(body !== undefined && { "Content-Type": "application/json" }), ...headers },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    },
    as(tenantId),
  );
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text && JSON.parse(text) };
}

const order = (tenantId: string, items: { productId: string; quantity: number }[], key = crypto.randomUUID()) =>
  call(tenantId, "POST", "/orders", { items }, { "Idempotency-Key": key });

async function product(tenantId: string, name: string, stock: number, priceCents = 1000) {
  return createProduct(createProductStore(data.forTenant(tenantId).table("products")), {
    name,
    priceCents,
    currency: "EUR",
    stock,
  });
}

const stockOf = async (tenantId: string, productId: string) =>
  (await createProductStore(data.forTenant(tenantId).table("products")).get(productId))?.stock;

/** The tenant's orders as stored (without the markers of the Idempotency-Keys that placed them). */
const storedOrders = async (tenantId: string) =>
  (await rawItemsOf(context.refs.OrdersTable as string, tenantId)).filter((item) => item.items !== undefined);
const outboxOf = (tenantId: string) => rawItemsOf(context.refs.OutboxTable as string, tenantId);

const eventsOf = (tenantId: string, type: string) =>
  published
    .map((e) => ({ type: e.DetailType, detail: JSON.parse(e.Detail) }))
    .filter((e) => e.type === type && e.detail.tenantId === tenantId);

let lamp: { id: string };

beforeAll(async () => {
  lamp = await product(acme, "Lamp", 100, 4500);
});

describe("orders on DynamoDB (moto), through the tenant-scoped tables", () => {
  it("sells the last 10 units exactly once to 50 concurrent orders: 10 succeed, 40 get 409, stock ends at 0", async () => {
    const scarce = await product(acme, "Scarce", 10);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => order(acme, [{ productId: scarce.id, quantity: 1 }])),
    );

    const placed = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 409);
    expect(placed).toHaveLength(10);
    expect(refused).toHaveLength(40);
    for (const r of refused) {
      expect(r.headers.get("content-type")).toBe("application/problem+json");
      expect(r.body.productId).toBe(scarce.id);
      expect(r.body.detail).toContain("Scarce");
    }
    expect(await stockOf(acme, scarce.id)).toBe(0);
    const mine = (await storedOrders(acme)).filter((o) => o.items[0].productId === scarce.id);
    expect(mine).toHaveLength(10);
    const events = eventsOf(acme, "OrderPlaced").filter((e) => e.detail.data.items[0].productId === scarce.id);
    expect(events).toHaveLength(10);
    expect(await outboxOf(acme)).toEqual([]);
  });

  it("prices from the catalogue, whatever the client sends, and reserves the stock", async () => {
    const res = await call(
      acme,
      "POST",
      "/orders",
      { items: [{ productId: lamp.id, quantity: 2, unitPriceCents: 1 }], totalCents: 2 },
      { "Idempotency-Key": crypto.randomUUID(), "X-Correlation-Id": "corr-ord-1" },
    );
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(`/orders/${res.body.id}`);
    expect(res.body).toMatchObject({ status: "PLACED", totalCents: 9000, currency: "EUR" });
    expect(res.body.items[0]).toMatchObject({ unitPriceCents: 4500, lineTotalCents: 9000, name: "Lamp" });
    const [event] = eventsOf(acme, "OrderPlaced").filter((e) => e.detail.data.orderId === res.body.id);
    expect(event?.detail).toMatchObject({ tenantId: acme, correlationId: "corr-ord-1" });
    expect((await call(acme, "GET", `/orders/${res.body.id}`)).body).toEqual(res.body);
  });

  it("answers a repeated Idempotency-Key and body with the same response and no second order; another body is 422", async () => {
    const widget = await product(acme, "Widget", 5);
    const key = crypto.randomUUID();
    const first = await order(acme, [{ productId: widget.id, quantity: 1 }], key);
    const again = await order(acme, [{ productId: widget.id, quantity: 1 }], key);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");

    const other = await order(acme, [{ productId: widget.id, quantity: 2 }], key);
    expect(other.status).toBe(422);
    expect(other.headers.get("content-type")).toBe("application/problem+json");
    expect(await stockOf(acme, widget.id)).toBe(4);
  });

  it("creates exactly one order from concurrent duplicates", async () => {
    const gadget = await product(acme, "Gadget", 50);
    const key = crypto.randomUUID();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => order(acme, [{ productId: gadget.id, quantity: 1 }], key)),
    );
    expect(results.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    expect(results.filter((r) => r.status === 201).length).toBeGreaterThanOrEqual(1);
    expect(new Set(results.filter((r) => r.status === 201).map((r) => r.body.id)).size).toBe(1);
    expect(await stockOf(acme, gadget.id)).toBe(49);
  });

  it("keeps two tenants' identical keys apart", async () => {
    const key = crypto.randomUUID();
    const theirs = await product(globex, "Globex lamp", 5);
    const mine = await order(acme, [{ productId: lamp.id, quantity: 1 }], key);
    const other = await order(globex, [{ productId: theirs.id, quantity: 1 }], key);
    expect(mine.status).toBe(201);
    expect(other.status).toBe(201);
    expect(other.body.id).not.toBe(mine.body.id);
  });

  it("gives the stock back exactly once: of five concurrent cancels one succeeds, the others get 409", async () => {
    const chair = await product(acme, "Chair", 6);
    const placed = await order(acme, [{ productId: chair.id, quantity: 4 }]);
    expect(await stockOf(acme, chair.id)).toBe(2);

    const cancels = await Promise.all(
      Array.from({ length: 5 }, () => call(acme, "POST", `/orders/${placed.body.id}/cancel`)),
    );
    expect(cancels.filter((r) => r.status === 200)).toHaveLength(1);
    expect(cancels.filter((r) => r.status === 409)).toHaveLength(4);
    expect(await stockOf(acme, chair.id)).toBe(6);
    expect((await call(acme, "GET", `/orders/${placed.body.id}`)).body.status).toBe("CANCELLED");
    expect(eventsOf(acme, "OrderCancelled").filter((e) => e.detail.data.orderId === placed.body.id)).toHaveLength(1);

    const again = await call(acme, "POST", `/orders/${placed.body.id}/cancel`);
    expect(again.status).toBe(409);
    expect(await stockOf(acme, chair.id)).toBe(6);
  });

  it("gives stock back no further than the catalogue's maximum, and says how much went back", async () => {
    const bulb = await product(acme, "Bulb", 100);
    const cable = await product(acme, "Cable", 100);
    const placed = await order(acme, [
      { productId: bulb.id, quantity: 10 },
      { productId: cable.id, quantity: 10 },
    ]);
    expect(placed.status).toBe(201);
    // Restocked by the merchant meanwhile: the bulb to 4 below the cap, the cable to the cap.
    const products = data.forTenant(acme).table("products");
    await products.update({ productId: bulb.id }, { update: "SET stock = :s", values: { ":s": MAX_STOCK - 4 } });
    await products.update({ productId: cable.id }, { update: "SET stock = :s", values: { ":s": MAX_STOCK } });

    const cancelled = await call(acme, "POST", `/orders/${placed.body.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(await stockOf(acme, bulb.id)).toBe(MAX_STOCK);
    expect(await stockOf(acme, cable.id)).toBe(MAX_STOCK);
    const [event] = eventsOf(acme, "OrderCancelled").filter((e) => e.detail.data.orderId === placed.body.id);
    expect(event?.detail.data.restocked).toEqual([
      { productId: bulb.id, quantity: 4 },
      { productId: cable.id, quantity: 0 },
    ]);
  });

  it("answers another tenant's order with 404 on every verb, and refuses its products as unknown", async () => {
    const mine = await order(acme, [{ productId: lamp.id, quantity: 1 }]);
    expect((await call(globex, "GET", `/orders/${mine.body.id}`)).status).toBe(404);
    expect((await call(globex, "POST", `/orders/${mine.body.id}/cancel`)).status).toBe(404);
    expect((await call(acme, "GET", `/orders/${mine.body.id}`)).body.status).toBe("PLACED");
    const list = await call(globex, "GET", "/orders?limit=100");
    expect(list.body.items.map((o: { id: string }) => o.id)).not.toContain(mine.body.id);

    const stolen = await order(globex, [{ productId: lamp.id, quantity: 1 }]);
    expect(stolen.status).toBe(400);
    expect(stolen.body.errors[0]).toMatchObject({ field: "items.0.productId" });
  });

  it("lists newest first with cursors and a status filter, and exports everything as NDJSON", async () => {
    const tenant = `ord-list-${suffix}`;
    const thing = await product(tenant, "Thing", 100);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await order(tenant, [{ productId: thing.id, quantity: 1 }])).body.id);
    await call(tenant, "POST", `/orders/${ids[1]}/cancel`);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await call(tenant, "GET", `/orders?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...page.body.items.map((o: { id: string }) => o.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());

    const cancelled = await call(tenant, "GET", "/orders?status=CANCELLED");
    expect(cancelled.body.items.map((o: { id: string }) => o.id)).toEqual([ids[1]]);
    const placed = await call(tenant, "GET", "/orders?status=PLACED&limit=10");
    expect(placed.body.items).toHaveLength(4);

    const exported = await app.request("/orders/export", {}, as(tenant));
    expect(exported.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = (await exported.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line).id);
    expect(lines).toEqual([...ids].reverse());

    const stored = await rawItemsOf(context.refs.OrdersTable as string, tenant);
    expect(stored).toHaveLength(2 * ids.length); // each order and the marker of its Idempotency-Key
  });
});
