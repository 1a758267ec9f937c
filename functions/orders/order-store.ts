/** Where orders live: the tenant's orders table, and the stock of the tenant's products (DynamoDB adapter behind an interface). */
import { ConditionFailedError, type TenantTable, type TransactionWrite } from "@tenantkit/tenant-context";
import type { Order, OrderStatus } from "./order.ts";

/** A product as the orders service needs it: name, price and stock. */
export interface CatalogueProduct {
  id: string;
  name: string;
  sku?: string;
  priceCents: number;
  currency: string;
  stock: number;
}

/** The products service's cap on a product's stock (`stock` of functions/products/product.ts); a cancel never restocks past it. */
export const MAX_STOCK = 1_000_000_000;

export type PlaceResult =
  | { placed: true }
  | { placed: false; conflictingProductIds: string[] }
  /** an order was placed with this Idempotency-Key before: that order (as it is now) */
  | { placed: false; placedBefore: Order };

/**
 * One line's quantity going back to its product. Where the whole quantity would take the stock past
 * MAX_STOCK, `cappedFrom` is the stock read: the write requires it unchanged and sets the stock to
 * `cappedFrom + quantity` (MAX_STOCK), `quantity` being what still fits (0 at the cap).
 */
export interface Restock {
  productId: string;
  quantity: number;
  cappedFrom?: number;
}

export type CancelResult = { cancelled: true } | { cancelled: false; reason: "not-placed" | "products-changed" };

export interface OrderStore {
  get(id: string): Promise<Order | undefined>;
  /** newest first; with `status`, only orders in that status */
  page(query: {
    limit: number;
    startKey?: Record<string, unknown>;
    status?: OrderStatus;
  }): Promise<{ items: Order[]; nextKey?: Record<string, unknown> }>;
  /** the products that exist among `ids` (in no particular order) */
  products(ids: string[]): Promise<CatalogueProduct[]>;
  /** one product, read consistently */
  product(id: string): Promise<CatalogueProduct | undefined>;
  /**
   * All or nothing: the order is written, each line's quantity is taken from its product's stock
   * (only where enough is left and price and currency are still the order's), `idempotencyKey` is
   * marked as used by this order (only if no order was placed with it before), and `alsoWrite`
   * (the outbox record) is written. When a condition fails, nothing is written and the result names
   * the order placed with the key before, else the products concerned.
   */
  place(order: Order, alsoWrite: TransactionWrite[], idempotencyKey?: string): Promise<PlaceResult>;
  /**
   * All or nothing: the order goes from PLACED to `cancelled`, each `restock` quantity goes back to
   * its product (which must still exist and, where capped, still have the stock read), and
   * `alsoWrite` is written.
   */
  cancel(cancelled: Order, restock: Restock[], alsoWrite: TransactionWrite[]): Promise<CancelResult>;
}

/** The sort key of an order item; the partition key (the tenant) is the scoped table's business. */
export const ORDER_KEY_ATTRIBUTES = ["orderId"] as const;

/**
 * Beside the orders (sort key: the order id, a UUID), one marker per Idempotency-Key that placed an
 * order (`idempotency-key#<key>`, holding that order's id), written in the order's transaction: a
 * key that placed an order never places a second one, even when the idempotency record is lost.
 * The prefix sorts after every UUID, so queries for orders stop below it.
 */
const KEY_MARKER_PREFIX = "idempotency-key#";

/** Whether a sort key (from a cursor, say) is an order's rather than a key marker's. */
export const isOrderKey = (orderId: string): boolean => orderId < KEY_MARKER_PREFIX;

interface KeyMarkerItem {
  orderId: string;
  placedOrderId: string;
  [attribute: string]: unknown;
}

interface OrderItem extends Omit<Order, "id"> {
  orderId: string;
  [attribute: string]: unknown;
}

interface ProductItem extends Omit<CatalogueProduct, "id"> {
  productId: string;
  [attribute: string]: unknown;
}

const toItem = ({ id, ...rest }: Order): OrderItem => ({ orderId: id, ...rest });
const toOrder = ({ orderId, ...rest }: OrderItem): Order => ({ id: orderId, ...rest }) as Order;
const toProduct = ({ productId, name, sku, priceCents, currency, stock }: ProductItem): CatalogueProduct => ({
  id: productId,
  name,
  ...(sku !== undefined && { sku }),
  priceCents,
  currency,
  stock,
});

/** A filtered page can come back short; read on, within reason, to fill it. */
const MAX_QUERIES_PER_PAGE = 10;

export function createOrderStore(tables: { orders: TenantTable; products: TenantTable }): OrderStore {
  const { orders, products } = tables;

  /** Positions 1..n of a placement or cancellation transaction are the product updates. */
  const productIdsAt = (failedIndexes: number[], productIds: string[]) =>
    failedIndexes.flatMap((i) => (i >= 1 && i <= productIds.length ? [productIds[i - 1] as string] : []));

  return {
    async get(id) {
      // Strongly consistent: a client reads its own orders, and a cancel right after placing finds it.
      const item = await orders.get<OrderItem>({ orderId: id }, { consistent: true });
      return item && toOrder(item);
    },

    async page({ limit, startKey, status }) {
      const items: Order[] = [];
      let nextKey = startKey;
      for (let query = 0; query < MAX_QUERIES_PER_PAGE; query++) {
        const page = await orders.query<OrderItem>({
          limit: limit - items.length,
          newestFirst: true,
          sortKeyCondition: "orderId < :markers",
          values: { ":markers": KEY_MARKER_PREFIX, ...(status && { ":status": status }) },
          ...(nextKey && { startKey: nextKey }),
          ...(status && { filter: "#status = :status", names: { "#status": "status" } }),
        });
        items.push(...page.items.map(toOrder));
        nextKey = page.nextKey;
        if (!nextKey || items.length >= limit) break;
      }
      return { items, ...(nextKey && { nextKey }) };
    },

    async products(ids) {
      // Strongly consistent: the prices and stock read decide the order's writes (a product just
      // created is in the catalogue).
      const keys = ids.map((productId) => ({ productId }));
      return (await products.batchGet<ProductItem>(keys, { consistent: true })).map(toProduct);
    },

    async product(id) {
      const item = await products.get<ProductItem>({ productId: id }, { consistent: true });
      return item && toProduct(item);
    },

    async place(order, alsoWrite, idempotencyKey) {
      const productIds = order.items.map((line) => line.productId);
      const markerKey = idempotencyKey === undefined ? undefined : `${KEY_MARKER_PREFIX}${idempotencyKey}`;
      const markerAt = 1 + productIds.length;
      const writes: TransactionWrite[] = [
        { table: orders, put: toItem(order), options: { condition: "attribute_not_exists(orderId)" } },
        ...order.items.map(
          (line): TransactionWrite => ({
            table: products,
            update: { productId: line.productId },
            options: {
              update: "SET stock = stock - :quantity, version = version + :one, updatedAt = :now",
              condition: "stock >= :quantity AND priceCents = :price AND currency = :currency",
              values: {
                ":quantity": line.quantity,
                ":one": 1,
                ":now": order.createdAt,
                ":price": line.unitPriceCents,
                ":currency": order.currency,
              },
            },
          }),
        ),
        ...(markerKey === undefined
          ? []
          : [
              {
                table: orders,
                put: { orderId: markerKey, placedOrderId: order.id, createdAt: order.createdAt },
                options: { condition: "attribute_not_exists(orderId)" },
              },
            ]),
        ...alsoWrite,
      ];
      try {
        await orders.transactWrite(writes);
        return { placed: true };
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
        if (markerKey !== undefined && error.failedIndexes.includes(markerAt)) {
          const marker = await orders.get<KeyMarkerItem>({ orderId: markerKey }, { consistent: true });
          const placedBefore =
            marker && (await orders.get<OrderItem>({ orderId: marker.placedOrderId }, { consistent: true }));
          if (placedBefore) return { placed: false, placedBefore: toOrder(placedBefore) };
          throw error;
        }
        const conflictingProductIds = productIdsAt(error.failedIndexes, productIds);
        if (conflictingProductIds.length === 0) throw error;
        return { placed: false, conflictingProductIds };
      }
    },

    async cancel(cancelled, restock, alsoWrite) {
      const writes: TransactionWrite[] = [
        {
          table: orders,
          update: { orderId: cancelled.id },
          options: {
            update: "SET #status = :cancelled, updatedAt = :now, cancelledAt = :now",
            condition: "#status = :placed",
            names: { "#status": "status" },
            values: { ":cancelled": "CANCELLED", ":placed": "PLACED", ":now": cancelled.updatedAt },
          },
        },
        ...restock.map(
          ({ productId, quantity, cappedFrom }): TransactionWrite => ({
            table: products,
            update: { productId },
            options:
              cappedFrom === undefined
                ? {
                    // DynamoDB has no min(): the whole quantity only while it fits under the cap.
                    update: "SET stock = stock + :quantity, version = version + :one, updatedAt = :now",
                    condition: "attribute_exists(productId) AND stock <= :room",
                    values: {
                      ":quantity": quantity,
                      ":room": MAX_STOCK - quantity,
                      ":one": 1,
                      ":now": cancelled.updatedAt,
                    },
                  }
                : {
                    update: "SET stock = :stock, version = version + :one, updatedAt = :now",
                    condition: "attribute_exists(productId) AND stock = :seen",
                    values: {
                      ":stock": cappedFrom + quantity,
                      ":seen": cappedFrom,
                      ":one": 1,
                      ":now": cancelled.updatedAt,
                    },
                  },
          }),
        ),
        ...alsoWrite,
      ];
      try {
        await orders.transactWrite(writes);
        return { cancelled: true };
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
        if (error.failedIndexes.includes(0)) return { cancelled: false, reason: "not-placed" };
        if (
          productIdsAt(
            error.failedIndexes,
            restock.map((r) => r.productId),
          ).length > 0
        ) {
          return { cancelled: false, reason: "products-changed" };
        }
        throw error;
      }
    },
  };
}
