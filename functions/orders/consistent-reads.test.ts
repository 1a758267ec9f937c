import type { Item, TenantTable } from "@tenantkit/tenant-context";
import { describe, expect, it } from "vitest";
import { createProductStore } from "../products/product-store.ts";
import { createOrderStore } from "./order-store.ts";

/** A table that records how it was read and finds nothing. */
function recordingTable(tableName: string, reads: string[]): TenantTable {
  const note = (operation: string, options?: { consistent?: boolean }) =>
    reads.push(`${tableName}.${operation}${options?.consistent ? " (consistent)" : ""}`);
  return {
    tableName,
    tenantId: "acme",
    get: async (_key: Item, options?: { consistent?: boolean }) => {
      note("get", options);
      return undefined;
    },
    batchGet: async (_keys: Item[], options?: { consistent?: boolean }) => {
      note("batchGet", options);
      return [];
    },
  } as unknown as TenantTable;
}

// DynamoDB reads are eventually consistent unless asked: a product created, an order placed or a
// version changed a moment ago could be missed by the reads that decide the next write.
describe("the reads that decide a write are strongly consistent", () => {
  it("orders: an order by id, and the products an order is priced from", async () => {
    const reads: string[] = [];
    const store = createOrderStore({
      orders: recordingTable("orders", reads),
      products: recordingTable("products", reads),
    });
    await store.get("0193e7a0-0000-7000-8000-000000000001");
    await store.products(["p1", "p2"]);
    await store.product("p1");
    expect(reads).toEqual(["orders.get (consistent)", "products.batchGet (consistent)", "products.get (consistent)"]);
  });

  it("products: a product by id, as a replace reads it", async () => {
    const reads: string[] = [];
    await createProductStore(recordingTable("products", reads)).get("p1");
    expect(reads).toEqual(["products.get (consistent)"]);
  });
});
