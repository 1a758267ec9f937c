/** Use case: add a product to the caller's catalogue. */
import type { Product, ProductInput } from "../product.ts";
import type { ProductStore } from "../product-store.ts";

/**
 * 1. Give the product a new id, version 1 and timestamps.
 * 2. Store it (the id cannot already exist).
 * 3. Return it as stored.
 */
export async function createProduct(store: ProductStore, input: ProductInput, now = new Date()): Promise<Product> {
  const timestamp = now.toISOString();
  const product: Product = {
    ...input,
    id: crypto.randomUUID(),
    version: 1,
    createdAt: timestamp,
    updatedAt: timestamp,
  };
  await store.create(product);
  return product;
}
