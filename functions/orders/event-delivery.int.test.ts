/**
 * The events' whole path on moto, with the template's own bus, rule and audit queue: orders app ->
 * outbox + EventBridge -> rule -> SQS -> local event source -> audit consumer -> audit trail. The
 * only test file that consumes the template's audit queue (others would take its messages).
 */
import {
  createEventPublisher,
  createEventSender,
  createOutboxSweeper,
  EventPublishError,
  type EventPublisher,
  type TenantRecord,
} from "@tenantkit/tenant-context";
import { tenantRecord } from "@tenantkit/tenant-context/testing";
import type { SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { eventually } from "../../test/support/eventually.ts";
import { rawItemsOf } from "../../test/support/raw-items.ts";
import { localTenantData } from "../../test/support/tenant-data.ts";
import { type EventSources, startEventSources } from "../../tools/local/event-sources.ts";
import { loadTemplate } from "../../tools/local/template.ts";
import { createAuditStore } from "../audit/audit-store.ts";
import { createAuditConsumer } from "../audit/consumer.ts";
import { createProductStore } from "../products/product-store.ts";
import { createProduct } from "../products/use-cases/create-product.ts";
import { createOrdersApp } from "./app.ts";

const { context } = inject("localAws");
const suffix = Date.now().toString(36);
const tenant = `evt-${suffix}`;
const busName = context.refs.EventBus as string;
const outbox = () => rawItemsOf(context.refs.OutboxTable as string, tenant);

const data = localTenantData(context, {
  orders: "OrdersTable",
  products: "ProductsTable",
  outbox: "OutboxTable",
  audit: "AuditTable",
});
const registry = {
  get: async (tenantId: string): Promise<TenantRecord> => tenantRecord({ tenantId }),
};

function ordersApp(publisher: EventPublisher) {
  return createOrdersApp({
    dataSource: data,
    metering: false,
    registry,
    events: { publisher, outboxTable: "outbox" },
    idempotency: {
      tableName: context.refs.IdempotencyTable as string,
    },
  });
}

const sender = createEventSender();
const workingApp = ordersApp(createEventPublisher({ busName, source: "tenantkit.orders", sender }));
/** EventBridge is down for this one: every PutEvents fails, after the write committed. */
const outageApp = ordersApp(
  createEventPublisher({
    busName,
    source: "tenantkit.orders",
    sender: {
      send: async (entries) => {
        throw new EventPublishError(entries, "EventBridge unavailable (simulated)");
      },
    },
  }),
);

let sources: EventSources;
let lamp: { id: string };

beforeAll(async () => {
  const consumer = createAuditConsumer({ dataSource: data, registry });
  // The local stack's SQS event source, reading the template's AuditConsumerFunction event, with
  // the consumer run in-process instead of in a worker (the gateway's workers need a build).
  sources = await startEventSources({
    template: loadTemplate(),
    context,
    invoke: async (functionId, event) => {
      if (functionId !== "AuditConsumerFunction") throw new Error(`unexpected ${functionId}`);
      return { status: "succeeded", payload: await consumer(event as SQSEvent) };
    },
    waitTimeSeconds: 1,
    schedules: false,
  });
  lamp = await createProduct(createProductStore(data.forTenant(tenant).table("products")), {
    name: "Lamp",
    priceCents: 4500,
    currency: "EUR",
    stock: 100,
  });
});

afterAll(async () => {
  await sources?.stop();
});

const trail = async (tenantId = tenant) =>
  (await createAuditStore(data.forTenant(tenantId).table("audit")).page(100)).items;

async function placeOrder(app: ReturnType<typeof ordersApp>, correlationId: string) {
  const res = await app.request(
    "/orders",
    {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "Idempotency-Key": crypto.randomUUID(),
        "X-Correlation-Id": correlationId,
      },
      body: JSON.stringify({ items: [{ productId: lamp.id, quantity: 1 }] }),
    },
    {
      event: {
        requestContext: {
          requestId: "r",
          authorizer: { tenantId: tenant, tier: "basic", userId: "u", roles: "tenant-admin" },
        },
      },
      lambdaContext: { getRemainingTimeInMillis: () => 29_000 },
    },
  );
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string };
}

const entriesFor = (orderId: string) => async () =>
  (await trail()).filter((entry) => (entry.data as { orderId?: string }).orderId === orderId);

describe("events from the orders service to the audit trail (moto EventBridge and SQS)", () => {
  it("puts an order placed into the tenant's audit trail, with its correlation id, once", async () => {
    const order = await placeOrder(workingApp, "corr-delivery-1");
    const entries = await eventually(entriesFor(order.id), (e) => e.length > 0);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      type: "OrderPlaced",
      source: "tenantkit.orders",
      correlationId: "corr-delivery-1",
      data: { orderId: order.id, totalCents: 4500, currency: "EUR" },
    });
    expect(await outbox()).toEqual([]);
  });

  it("loses nothing when publishing fails after the write: the sweeper publishes it, and one entry results", async () => {
    const order = await placeOrder(outageApp, "corr-outage-1");
    const [record] = await outbox();
    expect(record?.entry.DetailType).toBe("OrderPlaced");
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await entriesFor(order.id)(), "nothing reached the bus").toEqual([]);

    const sweeper = createOutboxSweeper({ tableName: context.refs.OutboxTable as string, sender, olderThanSeconds: 0 });
    const swept = await sweeper.sweep();
    expect(swept.published).toBeGreaterThanOrEqual(1);
    expect(await outbox()).toEqual([]);

    const entries = await eventually(entriesFor(order.id), (e) => e.length > 0);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ type: "OrderPlaced", eventId: record?.eventId, correlationId: "corr-outage-1" });

    // The same event delivered again (EventBridge and SQS deliver at least once): still one entry.
    await sender.send([record?.entry]);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await entriesFor(order.id)()).toHaveLength(1);
  });

  it("puts the control plane's tenant lifecycle events into the same trail", async () => {
    const controlPlane = createEventPublisher({ busName, source: "tenantkit.tenants", sender });
    const published = await controlPlane.publish({
      tenantId: tenant,
      type: "TenantTierChanged",
      data: { from: "basic", to: "premium" },
    });
    const entries = await eventually(
      async () => (await trail()).filter((e) => e.eventId === published.eventId),
      (e) => e.length > 0,
    );
    expect(entries[0]).toMatchObject({ type: "TenantTierChanged", source: "tenantkit.tenants" });
    expect(await trail(`other-${suffix}`)).toEqual([]);
  });

  it("lists the trail newest first", async () => {
    const items = await trail();
    const times = items.map((e) => e.occurredAt);
    expect(times).toEqual([...times].sort().reverse());
  });
});
