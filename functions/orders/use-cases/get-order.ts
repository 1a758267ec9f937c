/** Use case: read one order of the caller's tenant. */
import { NotFoundError } from "@tenantkit/tenant-context";
import type { Order } from "../order.ts";
import type { OrderStore } from "../order-store.ts";

/**
 * 1. Read the order by id.
 * 2. None there (also when another tenant has that id): 404.
 */
export async function getOrder(store: OrderStore, id: string): Promise<Order> {
  const order = await store.get(id);
  if (!order) throw new NotFoundError("order", id);
  return order;
}
