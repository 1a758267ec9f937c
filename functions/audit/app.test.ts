import type { TenantDataSource, TenantTable } from "@tenantkit/tenant-context";
import { UnauthorizedError } from "@tenantkit/tenant-context";
import { fixedAppConfig, tenantRecord } from "@tenantkit/tenant-context/testing";
import { describe, expect, it } from "vitest";
import { createAuditApp } from "./app.ts";
import type { AuditEntry } from "./audit-entry.ts";

const entry = (n: number): AuditEntry => ({
  eventId: crypto.randomUUID(),
  type: "OrderPlaced",
  source: "tenantkit.orders",
  occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  correlationId: `c-${n}`,
  data: { n },
  recordedAt: new Date().toISOString(),
});

/** An audit table with three entries whose queries record the tenant they ran for. */
function fakeAuditData(entries = [entry(3), entry(2), entry(1)]) {
  const queriedFor: string[] = [];
  const dataSource: TenantDataSource = {
    forTenant: (tenantId) => ({
      table: () =>
        ({
          tenantId,
          query: async () => {
            queriedFor.push(tenantId);
            return {
              items: entries.map((e) => ({ entryKey: `entry#${e.occurredAt}#${e.eventId}`, ...e })),
              nextKey: undefined,
            };
          },
        }) as unknown as TenantTable,
    }),
  };
  return { dataSource, queriedFor, entries };
}

function auditApp(data = fakeAuditData()) {
  return createAuditApp({
    dataSource: data.dataSource,
    metering: false,
    verifier: {
      verify: async () => {
        throw new UnauthorizedError("authorizer context only");
      },
    },
    registry: {
      get: async (tenantId) => tenantRecord({ tenantId, tier: tenantId === "globex" ? "premium" : "basic" }),
    },
    config: fixedAppConfig({
      tiers: { basic: { features: { auditExport: false } }, premium: { features: { auditExport: true } } },
    }),
  });
}

const as = (tenantId: string, roles: string, tier = "basic") => ({
  event: { requestContext: { requestId: "r", authorizer: { tenantId, tier, userId: "u", roles } } },
});

describe("the audit API", () => {
  it("lists the caller's tenant's trail for a tenant admin", async () => {
    const data = fakeAuditData();
    const res = await auditApp(data).request("/audit?limit=10", {}, as("acme", "tenant-admin"));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.items).toEqual(data.entries);
    expect(body.nextCursor).toBeUndefined();
    expect(data.queriedFor).toEqual(["acme"]);
  });

  it("refuses a tenant user with 403 problem+json, on the list and the export", async () => {
    const data = fakeAuditData();
    const app = auditApp(data);
    for (const path of ["/audit", "/audit/export"]) {
      const res = await app.request(path, {}, as("acme", "tenant-user"));
      expect(res.status).toBe(403);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
    expect(data.queriedFor).toEqual([]);
  });

  it("streams the export as NDJSON to tiers with the auditExport feature, and refuses the others with 403", async () => {
    const data = fakeAuditData();
    const app = auditApp(data);
    const premium = await app.request("/audit/export", {}, as("globex", "tenant-admin", "premium"));
    expect(premium.status).toBe(200);
    expect(premium.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = (await premium.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines).toEqual(data.entries);

    const basic = await app.request("/audit/export", {}, as("acme", "tenant-admin"));
    expect(basic.status).toBe(403);
    expect((await basic.json()).detail).toMatch(/basic tier does not include auditExport/);
  });

  it("names a bad limit and a cursor that does not point at an entry", async () => {
    const app = auditApp();
    const limit = await app.request("/audit?limit=500", {}, as("acme", "tenant-admin"));
    expect((await limit.json()).errors[0]).toMatchObject({ location: "query", field: "limit" });
    const marker = Buffer.from(JSON.stringify({ entryKey: "event#x" })).toString("base64url");
    const cursor = await app.request(`/audit?cursor=${marker}`, {}, as("acme", "tenant-admin"));
    expect(cursor.status).toBe(400);
    expect((await cursor.json()).errors[0]).toMatchObject({ location: "query", field: "cursor" });
  });
});
