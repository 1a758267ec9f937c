import { ConflictError, NotFoundError } from "@tenantkit/tenant-context";
import { describe, expect, it } from "vitest";
import { PreconditionFailedError } from "../preconditions.ts";
import type { Product, ProductInput } from "../product.ts";
import type { ProductStore } from "../product-store.ts";
import { replaceProduct } from "./replace-product.ts";

const input: ProductInput = { name: "Lamp", priceCents: 4500, currency: "EUR", stock: 5 };
const stored: Product = {
  ...input,
  id: "0b6c1c55-2f1e-4a8e-9d43-7f3f0e7d2c11",
  version: 3,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
};

/** One product in memory; `replace` is conditional on the version as DynamoDB's is. `beforeWrite` runs between read and write. */
function storeWith(product: Product, beforeWrite?: (products: Map<string, Product>) => void) {
  const products = new Map([[product.id, product]]);
  const store = {
    get: async (id: string) => products.get(id),
    replace: async (next: Product, expectedVersion: number) => {
      beforeWrite?.(products);
      if (products.get(next.id)?.version !== expectedVersion) return false;
      products.set(next.id, next);
      return true;
    },
  } as ProductStore;
  return { store, products };
}

/** An order taking stock, as the orders service does: stock down, version up. */
const orderTakes = (products: Map<string, Product>, quantity: number) => {
  const current = products.get(stored.id) as Product;
  products.set(stored.id, { ...current, stock: current.stock - quantity, version: current.version + 1 });
};

describe("replacing a product with If-Match (optimistic concurrency from the client's read)", () => {
  it("replaces the product when If-Match names its current version, with the next version", async () => {
    const { store, products } = storeWith(stored);
    const next = await replaceProduct(store, stored.id, { ...input, name: "Lamp v2" }, [3]);
    expect(next).toMatchObject({ name: "Lamp v2", version: 4, createdAt: stored.createdAt });
    expect(products.get(stored.id)).toEqual(next);
  });

  it("answers 412 and writes nothing when If-Match names a version read before an order took stock", async () => {
    const { store, products } = storeWith(stored);
    orderTakes(products, 2);
    await expect(replaceProduct(store, stored.id, { ...input, stock: 5 }, [3])).rejects.toThrow(
      PreconditionFailedError,
    );
    expect(products.get(stored.id)).toMatchObject({ stock: 3, version: 4 });
  });

  it("answers 412 when the product changes between the read and the (conditional) write", async () => {
    const { store, products } = storeWith(stored, (products) => orderTakes(products, 1));
    const error = await replaceProduct(store, stored.id, { ...input, stock: 5 }, [3]).catch((e) => e);
    expect(error).toBeInstanceOf(PreconditionFailedError);
    expect(error.toProblem()).toMatchObject({ status: 412, errors: [{ location: "header", field: "If-Match" }] });
    expect(products.get(stored.id)).toMatchObject({ stock: 4, version: 4 });
  });

  it("accepts any of several versions, and `*` for whatever version is current", async () => {
    expect((await replaceProduct(storeWith(stored).store, stored.id, input, [1, 3])).version).toBe(4);
    expect((await replaceProduct(storeWith(stored).store, stored.id, input, "*")).version).toBe(4);
  });

  it("answers 409 for `*` when the product changes between the read and the write", async () => {
    const { store } = storeWith(stored, (products) => orderTakes(products, 1));
    await expect(replaceProduct(store, stored.id, input, "*")).rejects.toThrow(ConflictError);
  });

  it("answers 404 for a product the caller does not have, whatever If-Match says", async () => {
    const { store } = storeWith(stored);
    await expect(replaceProduct(store, crypto.randomUUID(), input, "*")).rejects.toThrow(NotFoundError);
  });
});
