/** Use case: replace a product's details. */
import { ConflictError } from "@tenantkit/tenant-context";
import type { Product, ProductInput } from "../product.ts";
import type { ProductStore } from "../product-store.ts";
import { getProduct } from "./get-product.ts";

/**
 * 1. Read the current product (404 if the caller has none with this id).
 * 2. Write the new details with the next version, only if nobody changed it meanwhile.
 * 3. A concurrent change or delete in between: 409, nothing written.
 */
export async function replaceProduct(
  store: ProductStore,
  id: string,
  input: ProductInput,
  now = new Date(),
): Promise<Product> {
  const current = await getProduct(store, id);
  const next: Product = {
    ...input,
    id,
    version: current.version + 1,
    createdAt: current.createdAt,
    updatedAt: now.toISOString(),
  };
  if (!(await store.replace(next, current.version))) {
    throw new ConflictError(`Product '${id}' was changed or deleted concurrently; read it again and retry.`);
  }
  return next;
}
