/** The order store in memory, with the DynamoDB adapter's all-or-nothing semantics, for unit tests of the use cases. */
import type { TransactionWrite } from "@tenantkit/tenant-context";
import type { Order } from "./order.ts";
import { type CatalogueProduct, MAX_STOCK, type OrderStore } from "./order-store.ts";

export interface InMemoryOrderStore extends OrderStore {
  readonly orders: Map<string, Order>;
  /** Idempotency-Key -> the id of the order placed with it */
  readonly keys: Map<string, string>;
  readonly catalogue: Map<string, CatalogueProduct>;
  /** the extra writes (outbox records) of every committed transaction */
  readonly committed: TransactionWrite[];
  /** runs once before the next transaction: a concurrent change to simulate */
  beforeNextWrite(change: () => void): void;
}

export function createInMemoryOrderStore(products: CatalogueProduct[] = []): InMemoryOrderStore {
  const orders = new Map<string, Order>();
  const keys = new Map<string, string>();
  const catalogue = new Map(products.map((p) => [p.id, { ...p }]));
  const committed: TransactionWrite[] = [];
  let interference: (() => void) | undefined;
  const interfere = () => {
    const change = interference;
    interference = undefined;
    change?.();
  };

  return {
    orders,
    keys,
    catalogue,
    committed,
    beforeNextWrite(change) {
      interference = change;
    },
    async get(id) {
      const order = orders.get(id);
      return order && structuredClone(order);
    },
    async page({ limit, status }) {
      const all = [...orders.values()]
        .filter((o) => !status || o.status === status)
        .sort((a, b) => (a.id < b.id ? 1 : -1));
      return { items: all.slice(0, limit) };
    },
    async products(ids) {
      return ids.flatMap((id) => {
        const product = catalogue.get(id);
        return product ? [{ ...product }] : [];
      });
    },
    async product(id) {
      const product = catalogue.get(id);
      return product && { ...product };
    },
    async place(order, alsoWrite, idempotencyKey) {
      interfere();
      const placedBefore = idempotencyKey === undefined ? undefined : keys.get(idempotencyKey);
      if (placedBefore !== undefined) {
        return { placed: false, placedBefore: structuredClone(orders.get(placedBefore) as Order) };
      }
      const conflicting = order.items.flatMap((line) => {
        const product = catalogue.get(line.productId);
        const holds =
          product &&
          product.stock >= line.quantity &&
          product.priceCents === line.unitPriceCents &&
          product.currency === order.currency;
        return holds ? [] : [line.productId];
      });
      if (conflicting.length > 0) return { placed: false, conflictingProductIds: conflicting };
      for (const line of order.items) (catalogue.get(line.productId) as CatalogueProduct).stock -= line.quantity;
      orders.set(order.id, structuredClone(order));
      if (idempotencyKey !== undefined) keys.set(idempotencyKey, order.id);
      committed.push(...alsoWrite);
      return { placed: true };
    },
    async cancel(cancelled, restock, alsoWrite) {
      interfere();
      if (orders.get(cancelled.id)?.status !== "PLACED") return { cancelled: false, reason: "not-placed" };
      const holds = ({ productId, quantity, cappedFrom }: (typeof restock)[number]) => {
        const stock = catalogue.get(productId)?.stock;
        if (stock === undefined) return false;
        return cappedFrom === undefined ? stock + quantity <= MAX_STOCK : stock === cappedFrom;
      };
      if (!restock.every(holds)) return { cancelled: false, reason: "products-changed" };
      for (const { productId, quantity } of restock) (catalogue.get(productId) as CatalogueProduct).stock += quantity;
      orders.set(cancelled.id, structuredClone(cancelled));
      committed.push(...alsoWrite);
      return { cancelled: true };
    },
  };
}
