/** The audit API as OpenAPI route definitions: paths, inputs, outputs. */
import { createRoute, type z } from "@hono/zod-openapi";
import { PageQuery, problemResponses } from "@tenantkit/shared/schemas";
import { AuditEntry, AuditPage } from "./audit-entry.ts";

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const security = [{ bearerAuth: [] }];

export const listAuditEntriesRoute = createRoute({
  method: "get",
  path: "/audit",
  security,
  description: "Tenant admins only. The caller's tenant's events (orders, tenant lifecycle), newest first.",
  request: { query: PageQuery },
  responses: { 200: json(AuditPage, "One page of the audit trail, newest first"), ...problemResponses },
});

export const exportAuditEntriesRoute = createRoute({
  method: "get",
  path: "/audit/export",
  security,
  description: "Tenant admins of tiers with the `auditExport` feature. The whole trail, newest first.",
  responses: {
    200: {
      description: "Every entry, one JSON object per line, streamed",
      content: { "application/x-ndjson": { schema: AuditEntry } },
    },
    ...problemResponses,
  },
});
