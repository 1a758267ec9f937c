/** The audit service's API: the caller's tenant's audit trail for tenant admins, paginated and as a streamed export. */
import { createServiceApp } from "@tenantkit/shared/service-app";
import {
  ForbiddenError,
  ndjsonResponse,
  requireEnv,
  requireRole,
  type TenantContextOptions,
  type TenantEnv,
  tierSettings,
} from "@tenantkit/tenant-context";
import type { Context, MiddlewareHandler } from "hono";
import { type AuditStore, createAuditStore } from "./audit-store.ts";
import { exportAuditEntriesRoute, listAuditEntriesRoute } from "./routes.ts";
import { exportAuditEntries } from "./use-cases/export-audit-entries.ts";
import { listAuditEntries } from "./use-cases/list-audit-entries.ts";

const audit = (c: Context<TenantEnv>): AuditStore => createAuditStore(c.var.data.table("audit"));

/** 403 unless the caller's tier has the feature switched on in the tier configuration (`/<stage>/config/tiers`). */
const requireTierFeature = (feature: string): MiddlewareHandler<TenantEnv> =>
  async function requireTierFeature(c, next) {
    const { tier } = c.var.tenant;
    if ((await tierSettings(c.var.config, tier)).features[feature] !== true) {
      throw new ForbiddenError(`The ${tier} tier does not include ${feature}.`);
    }
    await next();
  };

/** Builds the app; tests pass their own tenant-context options (fakes, moto), Lambda uses the environment. */
export function createAuditApp(options: TenantContextOptions = { tables: { audit: requireEnv("AUDIT_TABLE") } }) {
  const app = createServiceApp(options);
  // `/audit/*` covers `/audit` too: every route of the service is for tenant admins.
  app.use("/audit/*", requireRole("tenant-admin"));

  app.openapi(listAuditEntriesRoute, async (c) => c.json(await listAuditEntries(audit(c), c.req.valid("query")), 200));

  app.openAPIRegistry.registerPath(exportAuditEntriesRoute);
  app.get("/audit/export", requireTierFeature("auditExport"), (c) => ndjsonResponse(c, exportAuditEntries(audit(c))));

  return app;
}
