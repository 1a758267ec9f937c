/** Use case: remove a product from the caller's catalogue. */
import { NotFoundError } from "@tenantkit/tenant-context";
import type { ProductStore } from "../product-store.ts";

/**
 * 1. Delete the product by id from the caller's catalogue.
 * 2. Nothing was there (also when another tenant has that id): 404.
 */
export async function deleteProduct(store: ProductStore, id: string): Promise<void> {
  if (!(await store.remove(id))) throw new NotFoundError("product", id);
}
