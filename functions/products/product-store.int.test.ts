import { createTenantCredentials, createTenantDataSource } from "@tenantkit/tenant-context";
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { Product } from "./product.ts";
import { createProductStore, type ProductStore } from "./product-store.ts";
import { createProduct } from "./use-cases/create-product.ts";
import { exportProducts } from "./use-cases/export-products.ts";
import { listProducts } from "./use-cases/list-products.ts";
import { replaceProduct } from "./use-cases/replace-product.ts";

const { context } = inject("localAws");
const input = { name: "Lamp", priceCents: 4500, currency: "EUR", stock: 2 };

let red: ProductStore;
let blue: ProductStore;

beforeAll(() => {
  const data = createTenantDataSource({
    tables: { products: context.refs.ProductsTable as string },
    credentials: createTenantCredentials({ roleArn: context.attributes["TenantDataRole.Arn"] as string }),
  });
  const suffix = Date.now().toString(36);
  red = createProductStore(data.forTenant(`red-${suffix}`).table("products"));
  blue = createProductStore(data.forTenant(`blue-${suffix}`).table("products"));
});

describe("the products store on DynamoDB (moto), through the tenant-scoped table", () => {
  it("reads back what it wrote, in the writer's tenant only", async () => {
    const product = await createProduct(red, input);
    expect(await red.get(product.id)).toEqual(product);
    expect(await blue.get(product.id)).toBeUndefined();
    expect(await blue.remove(product.id)).toBeUndefined();
    expect(await blue.replace({ ...product, name: "stolen", version: 2 }, 1)).toBe(false);
    expect(await red.get(product.id)).toEqual(product);
  });

  it("refuses a replace based on a stale version", async () => {
    const product: Product = await createProduct(red, input);
    await replaceProduct(red, product.id, { ...input, name: "v2" }, [product.version]);
    expect(await red.replace({ ...product, name: "stale" }, product.version)).toBe(false);
    expect((await red.get(product.id))?.name).toBe("v2");
  });

  it("pages through a tenant's products with cursors that carry no tenant id", async () => {
    const mine = await Promise.all(Array.from({ length: 7 }, () => createProduct(blue, input)));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listProducts(blue, { limit: 3, cursor });
      seen.push(...page.items.map((p) => p.id));
      cursor = page.nextCursor;
      if (cursor) expect(Buffer.from(cursor, "base64url").toString()).not.toContain("blue-");
    } while (cursor);
    expect(seen.sort()).toEqual(mine.map((p) => p.id).sort());
  });

  it("exports every product of the tenant and nothing else", async () => {
    const exported: Product[] = [];
    for await (const product of exportProducts(blue)) exported.push(product);
    const { items } = await listProducts(blue, { limit: 100 });
    expect(exported).toEqual(items);
  });
});
