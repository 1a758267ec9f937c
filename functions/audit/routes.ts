/** The audit API as OpenAPI route definitions: paths, inputs, outputs. */
import { createRoute } from "@hono/zod-openapi";
import { bearerSecurity, jsonResponse, PageQuery, problemResponses } from "@tenantkit/shared/schemas";
import { AuditEntry, AuditPage } from "./audit-entry.ts";

export const listAuditEntriesRoute = createRoute({
  method: "get",
  path: "/audit",
  security: bearerSecurity,
  description: "Tenant admins only. The caller's tenant's events (orders, tenant lifecycle), newest first.",
  request: { query: PageQuery },
  responses: { 200: jsonResponse(AuditPage, "One page of the audit trail, newest first"), ...problemResponses },
});

export const exportAuditEntriesRoute = createRoute({
  method: "get",
  path: "/audit/export",
  security: bearerSecurity,
  description: "Tenant admins of tiers with the `auditExport` feature. The whole trail, newest first.",
  responses: {
    200: {
      description: "Every entry, one JSON object per line, streamed",
      content: { "application/x-ndjson": { schema: AuditEntry } },
    },
    ...problemResponses,
  },
});
