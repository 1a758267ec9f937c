import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it, vi } from "vitest";
import type { TenantCredentials } from "./tenant-credentials.ts";
import { createTenantDataSource } from "./tenant-data.ts";

const tables = { products: "pooled-products" };

describe("createTenantDataSource", () => {
  it("keeps a tenant's table views for its next requests, each bound to its own tenant", () => {
    const client = { send: vi.fn() } as unknown as DynamoDBDocumentClient;
    const source = createTenantDataSource({ tables, client });
    const first = source.forTenant("acme").table("products");
    expect(source.forTenant("acme").table("products")).toBe(first);
    expect(first).toMatchObject({ tenantId: "acme", tableName: "pooled-products" });
    expect(source.forTenant("globex").table("products")).toMatchObject({ tenantId: "globex" });
  });

  it("makes new views when the registry record names other dedicated tables (a tier change)", () => {
    const client = { send: vi.fn() } as unknown as DynamoDBDocumentClient;
    const source = createTenantDataSource({ tables, client });
    expect(source.forTenant("acme").table("products").tableName).toBe("pooled-products");
    const silo = { products: "acme-products" };
    expect(source.forTenant("acme", silo).table("products").tableName).toBe("acme-products");
    expect(source.forTenant("acme", silo).table("products")).toBe(source.forTenant("acme", silo).table("products"));
    expect(source.forTenant("acme").table("products").tableName).toBe("pooled-products");
  });

  it("refuses a table the service did not declare", () => {
    const source = createTenantDataSource({ tables, client: { send: vi.fn() } as unknown as DynamoDBDocumentClient });
    expect(() => source.forTenant("acme").table("orders")).toThrow(/not configured/);
  });

  it("gives each tenant its own client with its own credentials, bounded, and keeps it across table changes", () => {
    const forTenant = vi.fn((_tenantId: string) => async () => ({ accessKeyId: "a", secretAccessKey: "s" }));
    const credentials = { forTenant } as unknown as TenantCredentials;
    const source = createTenantDataSource({ tables, credentials, maxTenants: 2 });
    source.forTenant("acme");
    source.forTenant("acme", { products: "acme-products" });
    expect(forTenant.mock.calls).toEqual([["acme"]]);
    source.forTenant("globex");
    source.forTenant("initech"); // acme's client is the least recently used: closed and dropped
    source.forTenant("acme");
    expect(forTenant.mock.calls.map(([tenant]) => tenant)).toEqual(["acme", "globex", "initech", "acme"]);
  });
});
