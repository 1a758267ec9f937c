/** Use case: read one product of the caller's catalogue. */
import { NotFoundError } from "@tenantkit/tenant-context";
import type { Product } from "../product.ts";
import type { ProductStore } from "../product-store.ts";

/**
 * 1. Read the product by id from the caller's catalogue.
 * 2. None there (also when another tenant has that id): 404.
 */
export async function getProduct(store: ProductStore, id: string): Promise<Product> {
  const product = await store.get(id);
  if (!product) throw new NotFoundError("product", id);
  return product;
}
