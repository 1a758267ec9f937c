/** The control plane's API as OpenAPI route definitions. */
import { createRoute, z } from "@hono/zod-openapi";
import {
  bearerSecurity,
  jsonBody,
  jsonResponse,
  PageQuery,
  problemResponse,
  problemResponses,
} from "@tenantkit/shared/schemas";
import { NewTenant, OwnTenant, Registration, Tenant, TenantIdParams, TenantPage, TierChange } from "./tenant.ts";

/** One line of the offboarding stream (`ExportLine`): the tenant's record, each of its items, then `deleted`. */
const OffboardingLine = z
  .union([
    z.object({ type: z.literal("tenant"), record: Tenant }),
    z.object({ type: z.literal("item"), table: z.string(), item: z.record(z.string(), z.unknown()) }),
    z.object({ type: z.literal("deleted"), tenantId: z.string(), items: z.number().int() }),
  ])
  .openapi("OffboardingLine");
/** One line of a tier change's stream: the tenant as it is (MIGRATING), then as the move left it. */
const TierChangeLine = z.object({ type: z.literal("tenant"), tenant: Tenant }).openapi("TierChangeLine");
const conflict = { 409: problemResponse("Conflict") };

export const createTenantRoute = createRoute({
  method: "post",
  path: "/tenants",
  security: bearerSecurity,
  request: { body: jsonBody(NewTenant) },
  responses: { 201: jsonResponse(Tenant, "The onboarded tenant (ACTIVE)"), ...problemResponses, ...conflict },
});

export const registerRoute = createRoute({
  method: "post",
  path: "/registrations",
  request: { body: jsonBody(Registration) },
  responses: {
    201: jsonResponse(Tenant, "The new tenant (ACTIVE); its admin gets an invitation"),
    ...problemResponses,
    ...conflict,
  },
});

export const listTenantsRoute = createRoute({
  method: "get",
  path: "/tenants",
  security: bearerSecurity,
  request: { query: PageQuery },
  responses: { 200: jsonResponse(TenantPage, "One page of tenants"), ...problemResponses },
});

export const getTenantRoute = createRoute({
  method: "get",
  path: "/tenants/{id}",
  security: bearerSecurity,
  request: { params: TenantIdParams },
  responses: { 200: jsonResponse(Tenant, "The tenant"), ...problemResponses },
});

export const changeTierRoute = createRoute({
  method: "patch",
  path: "/tenants/{id}",
  security: bearerSecurity,
  request: { params: TenantIdParams, body: jsonBody(TierChange) },
  responses: {
    200: {
      description:
        "Between pooled tiers, the tenant on its new tier (JSON). Between pooled and dedicated tables " +
        "(to or from `enterprise`), the data moves, which takes a minute or more: NDJSON, streamed, a " +
        "`tenant` line at once (MIGRATING), again every minute while the move runs, then one when the " +
        "move is over (ACTIVE on the new tier); " +
        "a move that fails restores the tenant on its old tier and ends the stream with an error",
      content: {
        "application/json": { schema: Tenant },
        "application/x-ndjson": { schema: TierChangeLine },
      },
    },
    ...problemResponses,
    ...conflict,
  },
});

export const deactivateTenantRoute = createRoute({
  method: "post",
  path: "/tenants/{id}/deactivate",
  security: bearerSecurity,
  request: { params: TenantIdParams },
  responses: { 200: jsonResponse(Tenant, "The tenant, INACTIVE"), ...problemResponses, ...conflict },
});

export const activateTenantRoute = createRoute({
  method: "post",
  path: "/tenants/{id}/activate",
  security: bearerSecurity,
  request: { params: TenantIdParams },
  responses: { 200: jsonResponse(Tenant, "The tenant, ACTIVE"), ...problemResponses, ...conflict },
});

export const offboardTenantRoute = createRoute({
  method: "delete",
  path: "/tenants/{id}",
  security: bearerSecurity,
  request: { params: TenantIdParams },
  responses: {
    200: {
      description: "The tenant's data as NDJSON, streamed, then a final `deleted` line",
      content: { "application/x-ndjson": { schema: OffboardingLine } },
    },
    ...problemResponses,
    ...conflict,
  },
});

export const getOwnTenantRoute = createRoute({
  method: "get",
  path: "/tenant",
  security: bearerSecurity,
  responses: { 200: jsonResponse(OwnTenant, "The caller's tenant and today's usage"), ...problemResponses },
});
