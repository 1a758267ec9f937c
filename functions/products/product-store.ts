/** Where products live: the tenant's view of the products table (DynamoDB adapter behind an interface). */
import { ConditionFailedError, type TenantTable } from "@tenantkit/tenant-context";
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

export class ProductExistsError extends Error {}

export function createProductStore(table: TenantTable): ProductStore {
  return {
    async create(product) {
      try {
        await table.put(toItem(product), { condition: "attribute_not_exists(productId)" });
      } catch (error) {
        if (error instanceof ConditionFailedError) throw new ProductExistsError(product.id);
        throw error;
      }
    },
    async get(id) {
      const item = await table.get<ProductItem>({ productId: id });
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
        if (error instanceof ConditionFailedError) return false;
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
