/** Use case: page through the caller's orders, newest first, optionally of one status. */
import { decodeCursor, encodeCursor } from "@tenantkit/shared/cursor";
import { ValidationError } from "@tenantkit/tenant-context";
import type { OrderListQuery, OrderPage } from "../order.ts";
import { isOrderKey, ORDER_KEY_ATTRIBUTES, type OrderStore } from "../order-store.ts";

/**
 * 1. Decode the cursor (a malformed one, or one not at an order, is a 400 naming `cursor`).
 * 2. Read one page of at most `limit` orders, newest first, only those of `status` if given.
 * 3. Return them with the cursor of the next page, if there is one.
 */
export async function listOrders(store: OrderStore, query: OrderListQuery): Promise<OrderPage> {
  const startKey = decodeCursor(query.cursor, ORDER_KEY_ATTRIBUTES);
  if (startKey && !isOrderKey(startKey.orderId as string)) {
    throw new ValidationError([{ location: "query", field: "cursor", message: "is not a valid cursor" }]);
  }
  const { items, nextKey } = await store.page({
    limit: query.limit,
    ...(startKey && { startKey }),
    ...(query.status && { status: query.status }),
  });
  const nextCursor = encodeCursor(nextKey);
  return { items, ...(nextCursor && { nextCursor }) };
}
