import type { StagedEvent, TenantEvents, TransactionWrite } from "@tenantkit/tenant-context";
import { IdempotencyKeyReusedError, ValidationError } from "@tenantkit/tenant-context";
import { describe, expect, it } from "vitest";
import { Product } from "../../products/product.ts";
import { createInMemoryOrderStore } from "../in-memory-order-store.ts";
import { CatalogueChangedError, InsufficientStockError, OrderNotCancellableError } from "../order-errors.ts";
import { type CatalogueProduct, MAX_STOCK } from "../order-store.ts";
import { cancelOrder } from "./cancel-order.ts";
import { placeOrder } from "./place-order.ts";

const lamp: CatalogueProduct = {
  id: "0b6c1c55-2f1e-4a8e-9d43-7f3f0e7d2c11",
  name: "Lamp",
  sku: "L-1",
  priceCents: 4500,
  currency: "EUR",
  stock: 5,
};
const desk: CatalogueProduct = {
  id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  name: "Desk",
  priceCents: 25000,
  currency: "EUR",
  stock: 2,
};

/** Stages events as the layer would, and remembers which were published. */
function fakeEvents(publishes = true) {
  const staged: { type: string; data: object }[] = [];
  const published: string[] = [];
  const events: Pick<TenantEvents, "stage"> = {
    stage<T extends object>(type: string, data: T): StagedEvent<T> {
      const eventId = crypto.randomUUID();
      staged.push({ type, data });
      return {
        eventId,
        detail: { eventId, tenantId: "acme", correlationId: "c", occurredAt: "", data },
        write: { outboxRecordOf: eventId } as unknown as TransactionWrite,
        publish: async () => {
          if (publishes) published.push(type);
          return publishes;
        },
      };
    },
  };
  return { events, staged, published };
}

describe("placing an order", () => {
  it("prices every line from the catalogue and takes the quantities from stock", async () => {
    const store = createInMemoryOrderStore([lamp, desk]);
    const { events, staged, published } = fakeEvents();

    const order = await placeOrder(
      { store, events },
      {
        items: [
          { productId: lamp.id, quantity: 2 },
          { productId: desk.id, quantity: 1 },
        ],
      },
    );

    expect(order).toMatchObject({ status: "PLACED", currency: "EUR", totalCents: 2 * 4500 + 25000 });
    expect(order.items[0]).toEqual({
      productId: lamp.id,
      name: "Lamp",
      sku: "L-1",
      quantity: 2,
      unitPriceCents: 4500,
      lineTotalCents: 9000,
    });
    expect(store.catalogue.get(lamp.id)?.stock).toBe(3);
    expect(store.catalogue.get(desk.id)?.stock).toBe(1);
    expect(staged).toEqual([
      {
        type: "OrderPlaced",
        data: {
          orderId: order.id,
          items: [
            { productId: lamp.id, quantity: 2, unitPriceCents: 4500 },
            { productId: desk.id, quantity: 1, unitPriceCents: 25000 },
          ],
          totalCents: 34000,
          currency: "EUR",
        },
      },
    ]);
    expect(store.committed).toHaveLength(1);
    expect(published).toEqual(["OrderPlaced"]);
  });

  it("refuses more than the stock with a 409 naming the product, and writes nothing", async () => {
    const store = createInMemoryOrderStore([lamp, desk]);
    const { events, published } = fakeEvents();
    const error = await placeOrder(
      { store, events },
      {
        items: [
          { productId: lamp.id, quantity: 1 },
          { productId: desk.id, quantity: 3 },
        ],
      },
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InsufficientStockError);
    expect((error as InsufficientStockError).status).toBe(409);
    expect((error as InsufficientStockError).toProblem()).toMatchObject({ productId: desk.id });
    expect((error as Error).message).toContain("Desk");
    expect(store.orders.size).toBe(0);
    expect(store.catalogue.get(lamp.id)?.stock).toBe(5);
    expect(published).toEqual([]);
  });

  it("answers a product that is not in the catalogue with a 400 naming the item", async () => {
    const store = createInMemoryOrderStore([lamp]);
    const error = await placeOrder(
      { store, events: fakeEvents().events },
      {
        items: [
          { productId: lamp.id, quantity: 1 },
          { productId: desk.id, quantity: 1 },
        ],
      },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toEqual([
      { location: "body", field: "items.1.productId", message: "is not a product of the catalogue" },
    ]);
  });

  it("refuses lines priced in different currencies", async () => {
    const store = createInMemoryOrderStore([lamp, { ...desk, currency: "USD" }]);
    const error = await placeOrder(
      { store, events: fakeEvents().events },
      {
        items: [
          { productId: lamp.id, quantity: 1 },
          { productId: desk.id, quantity: 1 },
        ],
      },
    ).catch((e: unknown) => e);
    expect((error as ValidationError).errors[0]).toMatchObject({ field: "items" });
  });

  it("starts again with the new price when the price changes between reading and writing", async () => {
    const store = createInMemoryOrderStore([lamp]);
    store.beforeNextWrite(() => {
      (store.catalogue.get(lamp.id) as CatalogueProduct).priceCents = 5000;
    });
    const order = await placeOrder(
      { store, events: fakeEvents().events },
      { items: [{ productId: lamp.id, quantity: 1 }] },
    );
    expect(order.items[0]?.unitPriceCents).toBe(5000);
    expect(store.orders.size).toBe(1);
  });

  it("gives up with a 409 when the catalogue keeps changing", async () => {
    const store = createInMemoryOrderStore([lamp]);
    const bump = () => {
      (store.catalogue.get(lamp.id) as CatalogueProduct).priceCents += 1;
      store.beforeNextWrite(bump);
    };
    store.beforeNextWrite(bump);
    await expect(
      placeOrder({ store, events: fakeEvents().events }, { items: [{ productId: lamp.id, quantity: 1 }] }),
    ).rejects.toBeInstanceOf(CatalogueChangedError);
  });

  it("answers a key that placed an order before with that order, not a second one; another body is 422", async () => {
    // The idempotency layer forgot the key (its record was not saved after the first order committed).
    const store = createInMemoryOrderStore([lamp, desk]);
    const { events, published } = fakeEvents();
    const input = { items: [{ productId: lamp.id, quantity: 2 }] };
    const first = await placeOrder({ store, events }, input, { idempotencyKey: "key-1" });
    const again = await placeOrder({ store, events }, structuredClone(input), { idempotencyKey: "key-1" });

    expect(again).toEqual(first);
    expect(store.orders.size).toBe(1);
    expect(store.catalogue.get(lamp.id)?.stock).toBe(3);
    expect(store.committed).toHaveLength(1);
    expect(published).toEqual(["OrderPlaced"]);

    for (const other of [
      { items: [{ productId: lamp.id, quantity: 1 }] },
      { items: [{ productId: desk.id, quantity: 2 }] },
      { items: [...input.items, { productId: desk.id, quantity: 1 }] },
    ]) {
      await expect(placeOrder({ store, events }, other, { idempotencyKey: "key-1" })).rejects.toBeInstanceOf(
        IdempotencyKeyReusedError,
      );
    }
    expect(store.orders.size).toBe(1);
    expect(store.catalogue.get(lamp.id)?.stock).toBe(3);

    const another = await placeOrder({ store, events }, input, { idempotencyKey: "key-2" });
    expect(another.id).not.toBe(first.id);
    expect(store.orders.size).toBe(2);
  });

  it("keeps the order when publishing fails: the outbox record was committed with it", async () => {
    const store = createInMemoryOrderStore([lamp]);
    const { events, published } = fakeEvents(false);
    const order = await placeOrder({ store, events }, { items: [{ productId: lamp.id, quantity: 1 }] });
    expect(store.orders.has(order.id)).toBe(true);
    expect(store.committed).toHaveLength(1);
    expect(published).toEqual([]);
  });
});

describe("cancelling an order", () => {
  it("gives the stock back once; a second cancel is 409", async () => {
    const store = createInMemoryOrderStore([lamp, desk]);
    const { events, staged } = fakeEvents();
    const order = await placeOrder(
      { store, events },
      {
        items: [
          { productId: lamp.id, quantity: 2 },
          { productId: desk.id, quantity: 2 },
        ],
      },
    );

    const cancelled = await cancelOrder({ store, events }, order.id);
    expect(cancelled).toMatchObject({ id: order.id, status: "CANCELLED", cancelledAt: expect.any(String) });
    expect(store.catalogue.get(lamp.id)?.stock).toBe(5);
    expect(store.catalogue.get(desk.id)?.stock).toBe(2);
    expect(staged.at(-1)).toEqual({
      type: "OrderCancelled",
      data: {
        orderId: order.id,
        restocked: [
          { productId: lamp.id, quantity: 2 },
          { productId: desk.id, quantity: 2 },
        ],
        totalCents: order.totalCents,
        currency: "EUR",
      },
    });

    await expect(cancelOrder({ store, events }, order.id)).rejects.toBeInstanceOf(OrderNotCancellableError);
    expect(store.catalogue.get(lamp.id)?.stock).toBe(5);
  });

  it("gives nothing back to a product deleted since the order was placed", async () => {
    const store = createInMemoryOrderStore([lamp, desk]);
    const { events, staged } = fakeEvents();
    const order = await placeOrder(
      { store, events },
      {
        items: [
          { productId: lamp.id, quantity: 1 },
          { productId: desk.id, quantity: 1 },
        ],
      },
    );
    store.catalogue.delete(desk.id);
    await cancelOrder({ store, events }, order.id);
    expect(store.catalogue.get(lamp.id)?.stock).toBe(5);
    expect(store.catalogue.has(desk.id)).toBe(false);
    expect(staged.at(-1)?.data).toMatchObject({ restocked: [{ productId: lamp.id, quantity: 1 }] });
  });

  it("caps the stock it gives back at the catalogue's maximum, and says what went back", async () => {
    expect(Product.shape.stock.safeParse(MAX_STOCK).success).toBe(true);
    expect(Product.shape.stock.safeParse(MAX_STOCK + 1).success).toBe(false);

    const store = createInMemoryOrderStore([lamp, desk]);
    const { events, staged } = fakeEvents();
    const order = await placeOrder(
      { store, events },
      {
        items: [
          { productId: lamp.id, quantity: 5 },
          { productId: desk.id, quantity: 2 },
        ],
      },
    );
    (store.catalogue.get(lamp.id) as CatalogueProduct).stock = MAX_STOCK - 3;
    (store.catalogue.get(desk.id) as CatalogueProduct).stock = MAX_STOCK;

    const cancelled = await cancelOrder({ store, events }, order.id);
    expect(cancelled.status).toBe("CANCELLED");
    expect(store.catalogue.get(lamp.id)?.stock).toBe(MAX_STOCK);
    expect(store.catalogue.get(desk.id)?.stock).toBe(MAX_STOCK);
    expect(staged.at(-1)?.data).toMatchObject({
      restocked: [
        { productId: lamp.id, quantity: 3 },
        { productId: desk.id, quantity: 0 },
      ],
    });
  });

  it("reads again when the stock moves across the cap between reading and writing", async () => {
    const store = createInMemoryOrderStore([lamp]);
    const { events, staged } = fakeEvents();
    const order = await placeOrder({ store, events }, { items: [{ productId: lamp.id, quantity: 5 }] });
    store.beforeNextWrite(() => {
      (store.catalogue.get(lamp.id) as CatalogueProduct).stock = MAX_STOCK - 1;
    });
    await cancelOrder({ store, events }, order.id);
    expect(store.catalogue.get(lamp.id)?.stock).toBe(MAX_STOCK);
    expect(staged.at(-1)?.data).toMatchObject({ restocked: [{ productId: lamp.id, quantity: 1 }] });
  });

  it("answers 409 when another cancel wins the race, without giving stock back twice", async () => {
    const store = createInMemoryOrderStore([lamp]);
    const { events } = fakeEvents();
    const order = await placeOrder({ store, events }, { items: [{ productId: lamp.id, quantity: 3 }] });
    store.beforeNextWrite(() => {
      store.orders.set(order.id, { ...order, status: "CANCELLED" });
      (store.catalogue.get(lamp.id) as CatalogueProduct).stock += 3;
    });
    await expect(cancelOrder({ store, events }, order.id)).rejects.toBeInstanceOf(OrderNotCancellableError);
    expect(store.catalogue.get(lamp.id)?.stock).toBe(5);
  });
});
