/**
 * The CI variant of `npm run load`: a few tenants for a few seconds through the shared local
 * stack. Asserts the accounting, never timings (TENANTKIT_LOAD_SECONDS lengthens it).
 */
import "../security/support/quiet.ts";
import { expect, inject, it } from "vitest";
import { withResources } from "../security/support/local-stack.ts";
import { formatReport, runLoad } from "./load.ts";

const seconds = Number(process.env.TENANTKIT_LOAD_SECONDS ?? 5);

it(
  `loses no acknowledged write, leaks nothing across tenants and reconciles exactly (3 tenants, ${seconds} s)`,
  async () => {
    const stack = await withResources(inject("localStack"));
    const report = await runLoad({ stack, tenants: 3, connectionsPerTenant: 2, durationSeconds: seconds });
    console.log(formatReport(report));

    expect(report.leaks).toEqual([]);
    expect(report.unreadable).toEqual([]);
    for (const tenant of report.tenants) {
      expect(tenant.acknowledged, `${tenant.tenantId} got no write through`).toBeGreaterThan(0);
      expect(tenant.lost, `${tenant.tenantId}: acknowledged writes lost`).toEqual([]);
      expect(tenant.unexpected, `${tenant.tenantId}: stored without acknowledgement`).toEqual([]);
      expect(tenant.stockStored, `${tenant.tenantId}: stock totals`).toBe(tenant.stockBooked);
    }
    const serverErrors = Object.entries(report.statuses).filter(([status]) => Number(status) >= 500);
    expect(serverErrors, "5xx answers under load").toEqual([]);
    expect(report.reconciled).toBe(true);
  },
  seconds * 1000 + 120_000,
);
