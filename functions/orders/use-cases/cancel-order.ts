/** Use case: cancel a placed order and give its stock back, exactly once. */
import type { TenantEvents } from "@tenantkit/tenant-context";
import type { Order } from "../order.ts";
import { CatalogueChangedError, OrderNotCancellableError } from "../order-errors.ts";
import { type CatalogueProduct, MAX_STOCK, type OrderStore, type Restock } from "../order-store.ts";
import { getOrder } from "./get-order.ts";

const MAX_ATTEMPTS = 3;

export interface OrderCancelledData {
  orderId: string;
  /** what went back to stock (lines of products deleted since the order was placed get nothing back; no stock goes past MAX_STOCK) */
  restocked: { productId: string; quantity: number }[];
  totalCents: number;
  currency: string;
}

export interface CancelOrderDeps {
  store: OrderStore;
  events: Pick<TenantEvents, "stage">;
}

/** A line's quantity back onto the stock read, as far as MAX_STOCK allows (a stock already past it stays). */
function restockOf(product: CatalogueProduct, quantity: number): Restock {
  if (product.stock + quantity <= MAX_STOCK) return { productId: product.id, quantity };
  return { productId: product.id, quantity: Math.max(0, MAX_STOCK - product.stock), cappedFrom: product.stock };
}

/**
 * 1. Read the order (404 if the caller has none with this id).
 * 2. Already cancelled: 409.
 * 3. Find which of its products still exist: only those get their quantities back, and no more than
 *    takes the stock to MAX_STOCK, the catalogue's cap (the rest is dropped; `restocked` says what went back).
 * 4. Stage OrderCancelled in the outbox.
 * 5. In one transaction: PLACED -> CANCELLED (only if still PLACED), each quantity back to its
 *    product, the outbox record. So stock comes back exactly once, however many cancels race.
 * 6. Cancelled by someone else meanwhile: 409. A product deleted, or its stock moved across the cap,
 *    meanwhile: back to 3 (at most three times).
 * 7. Publish OrderCancelled (else the outbox sweeper does) and return the cancelled order.
 */
export async function cancelOrder(deps: CancelOrderDeps, id: string, now = new Date()): Promise<Order> {
  const order = await getOrder(deps.store, id);
  if (order.status !== "PLACED") throw new OrderNotCancellableError(id);
  const timestamp = now.toISOString();
  const cancelled: Order = { ...order, status: "CANCELLED", updatedAt: timestamp, cancelledAt: timestamp };

  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const existing = new Map(
      (await deps.store.products(order.items.map((line) => line.productId))).map((p) => [p.id, p]),
    );
    const restock = order.items.flatMap(({ productId, quantity }) => {
      const product = existing.get(productId);
      return product ? [restockOf(product, quantity)] : [];
    });
    const staged = deps.events.stage<OrderCancelledData>("OrderCancelled", {
      orderId: id,
      restocked: restock.map(({ productId, quantity }) => ({ productId, quantity })),
      totalCents: order.totalCents,
      currency: order.currency,
    });
    const result = await deps.store.cancel(cancelled, restock, [staged.write]);
    if (result.cancelled) {
      await staged.publish();
      return cancelled;
    }
    if (result.reason === "not-placed") throw new OrderNotCancellableError(id);
  }
  throw new CatalogueChangedError();
}
