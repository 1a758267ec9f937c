/** Use case: every product of the caller's catalogue, one page at a time, for a streamed export. */
import { everyItem } from "@tenantkit/shared/paging";
import type { Product } from "../product.ts";
import type { ProductStore } from "../product-store.ts";

/** Items read per DynamoDB query while exporting; memory stays bounded by one page. */
export const EXPORT_PAGE_SIZE = 500;

/**
 * 1. Read the catalogue page by page, in id order.
 * 2. Yield each product as soon as its page arrives, so the first lines go out early.
 */
export function exportProducts(store: ProductStore): AsyncGenerator<Product> {
  return everyItem((startKey) => store.page(EXPORT_PAGE_SIZE, startKey));
}
