/** Where products live: the tenant's view of the products table (DynamoDB adapter behind an interface). */
import { isDeepStrictEqual } from "node:util";
import { ConditionFailedError, ConflictError, type TenantTable } from "@tenantkit/tenant-context";
import type { Product } from "./product.ts";

export interface ProductStore {
  /** fails with `ProductExistsError` when the id is taken */
  create(product: Product): Promise<void>;
  get(id: string): Promise<Product | undefined>;
  /** replaces the product if it is still at `expectedVersion`; false when it is not (or gone) */
  replace(product: Product, expectedVersion: number): Promise<boolean>;
  /** the deleted product; undefined when there was none */
  remove(id: string): Promise<Product | undefined>;
  page(
    limit: number,
    startKey?: Record<string, unknown>,
  ): Promise<{ items: Product[]; nextKey?: Record<string, unknown> }>;
}

/** The sort key of a product item; the partition key (the tenant) is the scoped table's business. */
export const PRODUCT_KEY_ATTRIBUTES = ["productId"] as const;

interface ProductItem extends Omit<Product, "id"> {
  productId: string;
  [attribute: string]: unknown;
}

const toItem = ({ id, ...rest }: Product): ProductItem => ({ productId: id, ...rest });
const toProduct = ({ productId, ...rest }: ProductItem): Product => ({ id: productId, ...rest }) as Product;

/** A new product's id is taken (ids are random UUIDs, so in practice never); answered as 409. */
export class ProductExistsError extends ConflictError {
  constructor(id: string) {
    super(`A product with id '${id}' exists already.`);
  }
}

export function createProductStore(table: TenantTable): ProductStore {
  /**
   * A condition can fail because our own write already landed: the SDK retried a write whose
   * answer was lost. Then the stored item is exactly what we wrote, and the write succeeded.
   */
  const alreadyStored = async (product: Product) =>
    isDeepStrictEqual(await table.get({ productId: product.id }, { consistent: true }), toItem(product));

  return {
    async create(product) {
      try {
        await table.put(toItem(product), { condition: "attribute_not_exists(productId)" });
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
        if (!(await alreadyStored(product))) throw new ProductExistsError(product.id);
      }
    },
    async get(id) {
      // Strongly consistent: a client reads its own writes, and a replace checks the version stored.
      const item = await table.get<ProductItem>({ productId: id }, { consistent: true });
      return item && toProduct(item);
    },
    async replace(product, expectedVersion) {
      try {
        await table.put(toItem(product), {
          condition: "version = :expectedVersion",
          values: { ":expectedVersion": expectedVersion },
        });
        return true;
      } catch (error) {
        if (error instanceof ConditionFailedError) return alreadyStored(product);
        throw error;
      }
    },
    async remove(id) {
      const item = await table.delete<ProductItem>({ productId: id });
      return item && toProduct(item);
    },
    async page(limit, startKey) {
      const { items, nextKey } = await table.query<ProductItem>({ limit, ...(startKey && { startKey }) });
      return { items: items.map(toProduct), ...(nextKey && { nextKey }) };
    },
  };
}
