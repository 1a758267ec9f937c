/** Use case: page through the caller's catalogue. */
import { decodeCursor, encodeCursor } from "@tenantkit/shared/cursor";
import type { ProductPage } from "../product.ts";
import { PRODUCT_KEY_ATTRIBUTES, type ProductStore } from "../product-store.ts";

/**
 * 1. Decode the cursor (a malformed one is a 400 naming `cursor`).
 * 2. Read one page of at most `limit` products, in id order.
 * 3. Return them with the cursor of the next page, if there is one.
 */
export async function listProducts(
  store: ProductStore,
  page: { limit: number; cursor?: string | undefined },
): Promise<ProductPage> {
  const startKey = decodeCursor(page.cursor, PRODUCT_KEY_ATTRIBUTES);
  const { items, nextKey } = await store.page(page.limit, startKey);
  const nextCursor = encodeCursor(nextKey);
  return { items, ...(nextCursor && { nextCursor }) };
}
