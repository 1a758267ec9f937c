/** Use case: every order of the caller's tenant, one page at a time, for a streamed export. */
import type { Order } from "../order.ts";
import type { OrderStore } from "../order-store.ts";

/** Orders read per DynamoDB query while exporting; memory stays bounded by one page. */
export const EXPORT_PAGE_SIZE = 500;

/**
 * 1. Read the orders page by page, newest first.
 * 2. Yield each order as soon as its page arrives, so the first lines go out early.
 */
export async function* exportOrders(store: OrderStore): AsyncGenerator<Order> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await store.page({ limit: EXPORT_PAGE_SIZE, ...(startKey && { startKey }) });
    yield* page.items;
    startKey = page.nextKey;
  } while (startKey);
}
