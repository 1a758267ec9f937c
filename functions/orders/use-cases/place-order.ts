/** Use case: place an order, priced from the catalogue, with its stock reserved in the same transaction. */
import { IdempotencyKeyReusedError, type TenantEvents, ValidationError } from "@tenantkit/tenant-context";
import type { Order, OrderInput, OrderLine } from "../order.ts";
import { CatalogueChangedError, InsufficientStockError } from "../order-errors.ts";
import { newOrderId } from "../order-id.ts";
import type { CatalogueProduct, OrderStore } from "../order-store.ts";

/** Attempts before giving up when prices change or products vanish between the read and the write. */
const MAX_ATTEMPTS = 3;

export interface OrderPlacedData {
  orderId: string;
  items: { productId: string; quantity: number; unitPriceCents: number }[];
  totalCents: number;
  currency: string;
}

export interface PlaceOrderDeps {
  store: OrderStore;
  events: Pick<TenantEvents, "stage">;
}

export interface PlaceOrderOptions {
  /** the request's Idempotency-Key: a second placement with it answers the first order instead */
  idempotencyKey?: string;
  now?: Date;
}

/** The same request as the one that placed `order`: the same products and quantities, in the same order. */
const sameRequest = (order: Order, input: OrderInput) =>
  order.items.length === input.items.length &&
  order.items.every(
    (line, i) => line.productId === input.items[i]?.productId && line.quantity === input.items[i]?.quantity,
  );

function unknownProducts(input: OrderInput, found: Map<string, CatalogueProduct>): ValidationError | undefined {
  const errors = input.items.flatMap(({ productId }, i) =>
    found.has(productId)
      ? []
      : [{ location: "body" as const, field: `items.${i}.productId`, message: "is not a product of the catalogue" }],
  );
  return errors.length > 0 ? new ValidationError(errors) : undefined;
}

/** Prices each line from the catalogue; every line must be in one currency. */
function priceOrder(input: OrderInput, found: Map<string, CatalogueProduct>, now: Date): Order {
  const items: OrderLine[] = input.items.map(({ productId, quantity }) => {
    const product = found.get(productId) as CatalogueProduct;
    return {
      productId,
      name: product.name,
      ...(product.sku !== undefined && { sku: product.sku }),
      quantity,
      unitPriceCents: product.priceCents,
      lineTotalCents: product.priceCents * quantity,
    };
  });
  const currencies = [...new Set(input.items.map(({ productId }) => found.get(productId)?.currency))];
  if (currencies.length > 1) {
    throw new ValidationError([
      {
        location: "body",
        field: "items",
        message: `lists products priced in different currencies (${currencies.join(", ")}); order them separately`,
      },
    ]);
  }
  const timestamp = now.toISOString();
  return {
    id: newOrderId(now.getTime()),
    status: "PLACED",
    items,
    totalCents: items.reduce((sum, line) => sum + line.lineTotalCents, 0),
    currency: currencies[0] as string,
    createdAt: timestamp,
    updatedAt: timestamp,
  };
}

/**
 * 1. Read the ordered products from the caller's catalogue (one that is not there: 400 naming the item).
 * 2. Price each line from the catalogue, never from the request; all lines in one currency.
 * 3. Stage OrderPlaced in the outbox.
 * 4. In one transaction: write the order, take each line's quantity from its product's stock (only if
 *    enough is left and the price is still the one read), mark the Idempotency-Key as used by this
 *    order (only if no order was placed with it), write the outbox record.
 * 5. The key placed an order before (its idempotency record was lost, e.g. not saved after that
 *    order committed): that order if this is the same request, else 422; nothing written.
 * 6. Not enough stock: 409 naming the product, nothing written. A price changed or a product was
 *    deleted meanwhile: start again from 1 (at most three times, then 409).
 * 7. Publish OrderPlaced (if that fails the outbox sweeper publishes it) and return the order.
 */
export async function placeOrder(
  deps: PlaceOrderDeps,
  input: OrderInput,
  { idempotencyKey, now = new Date() }: PlaceOrderOptions = {},
): Promise<Order> {
  const ids = input.items.map((line) => line.productId);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const found = new Map((await deps.store.products(ids)).map((product) => [product.id, product]));
    const unknown = unknownProducts(input, found);
    if (unknown) throw unknown;
    const order = priceOrder(input, found, now);

    const staged = deps.events.stage<OrderPlacedData>("OrderPlaced", {
      orderId: order.id,
      items: order.items.map(({ productId, quantity, unitPriceCents }) => ({ productId, quantity, unitPriceCents })),
      totalCents: order.totalCents,
      currency: order.currency,
    });
    const result = await deps.store.place(order, [staged.write], idempotencyKey);
    if (result.placed) {
      await staged.publish();
      return order;
    }
    if ("placedBefore" in result) {
      if (sameRequest(result.placedBefore, input)) return result.placedBefore;
      throw new IdempotencyKeyReusedError();
    }

    for (const productId of result.conflictingProductIds) {
      const current = await deps.store.product(productId);
      const requested = input.items.find((line) => line.productId === productId)?.quantity ?? 0;
      if (current && current.stock < requested) throw new InsufficientStockError(current, requested);
    }
  }
  throw new CatalogueChangedError();
}
