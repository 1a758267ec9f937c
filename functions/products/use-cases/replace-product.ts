/** Use case: replace a product's details, if it is still the version the client read. */
import { ConflictError } from "@tenantkit/tenant-context";
import { type IfMatch, matches, PreconditionFailedError } from "../preconditions.ts";
import type { Product, ProductInput } from "../product.ts";
import type { ProductStore } from "../product-store.ts";
import { getProduct } from "./get-product.ts";

/**
 * 1. Read the current product (404 if the caller has none with this id).
 * 2. Not a version the client's `If-Match` names (an order took stock since its read, say): 412.
 * 3. Write the new details with the next version, only if the product is still at the version
 *    checked in 2 (a DynamoDB condition, so the check and the write are one).
 * 4. Changed or deleted in between: 412 (409 for `If-Match: *`), nothing written.
 */
export async function replaceProduct(
  store: ProductStore,
  id: string,
  input: ProductInput,
  ifMatch: IfMatch,
  now = new Date(),
): Promise<Product> {
  const current = await getProduct(store, id);
  if (!matches(ifMatch, current.version)) throw new PreconditionFailedError(id);
  const next: Product = {
    ...input,
    id,
    version: current.version + 1,
    createdAt: current.createdAt,
    updatedAt: now.toISOString(),
  };
  if (!(await store.replace(next, current.version))) {
    if (ifMatch !== "*") throw new PreconditionFailedError(id);
    throw new ConflictError(`Product '${id}' was changed or deleted concurrently; read it again and retry.`);
  }
  return next;
}
