/**
 * "Tenant status checked against the registry with a short-lived cache: a deactivated tenant's
 * tokens are refused within 60 seconds." The registry reads through a bounded LRU cache; these
 * tests count the reads a fake document client receives while a fake clock moves.
 */
import type { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { loadTemplate } from "../../../../tools/local/template.ts";
import {
  createTenantRegistry,
  registryMaxAgeSeconds,
  type TenantRecord,
  type TenantStatus,
} from "./tenant-registry.ts";

/** The requirement's bound on how long a deactivated tenant keeps working. */
const LIMIT_SECONDS = 60;

function record(tenantId: string, status: TenantStatus = "ACTIVE"): TenantRecord {
  return { tenantId, name: tenantId, tier: "basic", status, createdAt: "2024-01-01", updatedAt: "2024-01-01" };
}

/** A document client over an in-memory tenants table that counts the GetItem calls it receives. */
function fakeTable() {
  const items = new Map<string, TenantRecord>();
  const send = vi.fn(async (command: GetCommand) => {
    const item = items.get(command.input.Key?.tenantId as string);
    return { Item: item ? { ...item } : undefined };
  });
  return { items, send, client: { send } as unknown as DynamoDBDocumentClient };
}

/**
 * The registry ages its records by the wall clock (`Date.now()`), which the fake timers move; lru-cache
 * also debounces its clock reads with a 1 ms `setTimeout`. `performance.now()` is left real, so these
 * tests also show that the monotonic clock plays no part: it hardly moves while they jump minutes.
 */
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date", "setTimeout", "clearTimeout"] });
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

describe("the tenant registry's cache", () => {
  it("reads a record once, then serves it from the cache until its max age", async () => {
    const table = fakeTable();
    table.items.set("acme", record("acme"));
    const registry = createTenantRegistry({ tableName: "tenants", client: table.client, maxAgeSeconds: 20 });

    expect(await registry.get("acme")).toMatchObject({ tenantId: "acme", status: "ACTIVE" });
    expect(table.send).toHaveBeenCalledTimes(1);
    expect(table.send.mock.calls[0]?.[0].input).toEqual({
      TableName: "tenants",
      Key: { tenantId: "acme" },
      ConsistentRead: true,
    });

    table.items.set("acme", record("acme", "INACTIVE"));
    vi.advanceTimersByTime(19_999);
    expect(await registry.get("acme")).toMatchObject({ status: "ACTIVE" });
    expect(await registry.get("acme")).toMatchObject({ status: "ACTIVE" });
    expect(table.send).toHaveBeenCalledTimes(1);

    vi.advanceTimersByTime(2);
    expect(await registry.get("acme")).toMatchObject({ status: "INACTIVE" });
    expect(table.send).toHaveBeenCalledTimes(2);
  });

  it("ages a record from when it was asked for, not from when a slow read answered", async () => {
    const table = fakeTable();
    table.items.set("acme", record("acme"));
    table.send.mockImplementationOnce(async () => {
      const read = { Item: record("acme") };
      vi.advanceTimersByTime(5_000); // the read took 5 s; the record was deactivated meanwhile
      table.items.set("acme", record("acme", "INACTIVE"));
      return read;
    });
    const registry = createTenantRegistry({ tableName: "tenants", client: table.client, maxAgeSeconds: 20 });

    expect(await registry.get("acme")).toMatchObject({ status: "ACTIVE" });
    vi.advanceTimersByTime(15_001);
    expect(await registry.get("acme")).toMatchObject({ status: "INACTIVE" });
  });

  it("reads a fresh copy when asked, and caches it", async () => {
    const table = fakeTable();
    const registry = createTenantRegistry({ tableName: "tenants", client: table.client, maxAgeSeconds: 20 });
    expect(await registry.get("acme")).toBeUndefined();
    table.items.set("acme", record("acme"));

    expect(await registry.get("acme")).toBeUndefined();
    expect(await registry.get("acme", { fresh: true })).toMatchObject({ status: "ACTIVE" });
    expect(await registry.get("acme")).toMatchObject({ status: "ACTIVE" });
    expect(table.send).toHaveBeenCalledTimes(2);
  });

  it("with the defaults, sees a deactivation within 60 s", async () => {
    vi.stubEnv("TENANT_REGISTRY_MAX_AGE_SECONDS", undefined);
    const table = fakeTable();
    table.items.set("acme", record("acme"));
    const registry = createTenantRegistry({ tableName: "tenants", client: table.client });

    await registry.get("acme");
    table.items.set("acme", record("acme", "INACTIVE"));
    vi.advanceTimersByTime(LIMIT_SECONDS * 1000);
    expect(await registry.get("acme")).toMatchObject({ status: "INACTIVE" });
    expect(table.send).toHaveBeenCalledTimes(2);
  });

  it("takes its max age from TENANT_REGISTRY_MAX_AGE_SECONDS, 30 s when unset or invalid", async () => {
    expect(registryMaxAgeSeconds({})).toBe(30);
    expect(registryMaxAgeSeconds({})).toBeLessThanOrEqual(LIMIT_SECONDS);
    expect(registryMaxAgeSeconds({ TENANT_REGISTRY_MAX_AGE_SECONDS: "10" })).toBe(10);
    expect(registryMaxAgeSeconds({ TENANT_REGISTRY_MAX_AGE_SECONDS: "0" })).toBe(0);
    for (const invalid of ["-5", "soon", "Infinity"]) {
      expect(registryMaxAgeSeconds({ TENANT_REGISTRY_MAX_AGE_SECONDS: invalid }), invalid).toBe(30);
    }

    // The registry reads it when no max age is passed.
    vi.stubEnv("TENANT_REGISTRY_MAX_AGE_SECONDS", "10");
    const table = fakeTable();
    table.items.set("acme", record("acme"));
    const registry = createTenantRegistry({ tableName: "tenants", client: table.client });
    await registry.get("acme");
    vi.advanceTimersByTime(9_999);
    await registry.get("acme");
    expect(table.send).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(2);
    await registry.get("acme");
    expect(table.send).toHaveBeenCalledTimes(2);
  });

  it("never trusts a record longer than 60 s, whatever TENANT_REGISTRY_MAX_AGE_SECONDS says", async () => {
    expect(registryMaxAgeSeconds({ TENANT_REGISTRY_MAX_AGE_SECONDS: "3600" })).toBe(LIMIT_SECONDS);
  });

  it("never trusts a record longer than 60 s, whatever maxAgeSeconds says", async () => {
    const table = fakeTable();
    table.items.set("acme", record("acme"));
    const registry = createTenantRegistry({ tableName: "tenants", client: table.client, maxAgeSeconds: 3600 });
    await registry.get("acme");
    vi.advanceTimersByTime(LIMIT_SECONDS * 1000 + 1);
    await registry.get("acme");
    expect(table.send).toHaveBeenCalledTimes(2);
  });

  it("caches a missing tenant like a record: for the max age, then reads again", async () => {
    const table = fakeTable();
    const registry = createTenantRegistry({ tableName: "tenants", client: table.client, maxAgeSeconds: 30 });

    expect(await registry.get("ghost")).toBeUndefined();
    expect(await registry.get("ghost")).toBeUndefined();
    expect(table.send).toHaveBeenCalledTimes(1);

    table.items.set("ghost", record("ghost"));
    vi.advanceTimersByTime(29_999);
    expect(await registry.get("ghost")).toBeUndefined();
    vi.advanceTimersByTime(2);
    expect(await registry.get("ghost")).toMatchObject({ tenantId: "ghost" });
    expect(table.send).toHaveBeenCalledTimes(2);
  });

  it("does not cache a failed read", async () => {
    const table = fakeTable();
    table.items.set("acme", record("acme"));
    table.send.mockRejectedValueOnce(new Error("ProvisionedThroughputExceededException"));
    const registry = createTenantRegistry({ tableName: "tenants", client: table.client, maxAgeSeconds: 30 });

    await expect(registry.get("acme")).rejects.toThrow("ProvisionedThroughputExceededException");
    expect(await registry.get("acme")).toMatchObject({ tenantId: "acme" });
    expect(table.send).toHaveBeenCalledTimes(2);
  });

  it("holds at most maxEntries tenants (1000 by default), evicting the least recently used", async () => {
    const table = fakeTable();
    const registry = createTenantRegistry({ tableName: "tenants", client: table.client, maxAgeSeconds: 30 });
    for (let i = 0; i <= 1000; i++) await registry.get(`t${i}`); // 1001 tenants
    expect(table.send).toHaveBeenCalledTimes(1001);
    await registry.get("t1000");
    await registry.get("t1");
    expect(table.send).toHaveBeenCalledTimes(1001);
    await registry.get("t0"); // the oldest, evicted by the 1001st
    expect(table.send).toHaveBeenCalledTimes(1002);

    const small = fakeTable();
    const bounded = createTenantRegistry({ tableName: "tenants", client: small.client, maxEntries: 2 });
    for (const id of ["a", "b", "c", "a"]) await bounded.get(id);
    expect(small.send).toHaveBeenCalledTimes(4);
  });
});

describe("template.yaml's TenantRegistryCacheSeconds", () => {
  const template = loadTemplate();
  // biome-ignore lint/suspicious/noExplicitAny: CloudFormation parameters are untyped JSON.
  const parameter = template.Parameters?.TenantRegistryCacheSeconds as any;

  it("cannot be set above 60 s, and defaults within its bounds", () => {
    expect(parameter).toBeDefined();
    expect(parameter.Type).toBe("Number");
    expect(parameter.MaxValue).toBeLessThanOrEqual(LIMIT_SECONDS);
    expect(parameter.MinValue).toBeGreaterThanOrEqual(0);
    expect(parameter.Default).toBeGreaterThanOrEqual(parameter.MinValue);
    expect(parameter.Default).toBeLessThanOrEqual(parameter.MaxValue);
  });

  it("reaches every function as TENANT_REGISTRY_MAX_AGE_SECONDS", () => {
    expect(template.Globals?.Function?.Environment?.Variables?.TENANT_REGISTRY_MAX_AGE_SECONDS).toEqual({
      Ref: "TenantRegistryCacheSeconds",
    });
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== "AWS::Serverless::Function") continue;
      const own = resource.Properties?.Environment?.Variables?.TENANT_REGISTRY_MAX_AGE_SECONDS;
      expect(own ?? { Ref: "TenantRegistryCacheSeconds" }, `${id} overrides it`).toEqual({
        Ref: "TenantRegistryCacheSeconds",
      });
    }
  });
});
