/** The control plane's API as OpenAPI route definitions. */
import { createRoute, z } from "@hono/zod-openapi";
import { PageQuery, problemResponses } from "@tenantkit/shared/schemas";
import { NewTenant, OwnTenant, Registration, Tenant, TenantIdParams, TenantPage, TierChange } from "./tenant.ts";

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const body = <T extends z.ZodType>(schema: T) => ({ required: true, content: { "application/json": { schema } } });
const security = [{ bearerAuth: [] }];

/** One line of the offboarding stream (`ExportLine`): the tenant's record, each of its items, then `deleted`. */
const OffboardingLine = z
  .union([
    z.object({ type: z.literal("tenant"), record: Tenant }),
    z.object({ type: z.literal("item"), table: z.string(), item: z.record(z.string(), z.unknown()) }),
    z.object({ type: z.literal("deleted"), tenantId: z.string(), items: z.number().int() }),
  ])
  .openapi("OffboardingLine");
const conflict = {
  409: {
    description: "Conflict",
    content: {
      "application/problem+json": { schema: problemResponses[400].content["application/problem+json"].schema },
    },
  },
};

export const createTenantRoute = createRoute({
  method: "post",
  path: "/tenants",
  security,
  request: { body: body(NewTenant) },
  responses: { 201: json(Tenant, "The onboarded tenant (ACTIVE)"), ...problemResponses, ...conflict },
});

export const registerRoute = createRoute({
  method: "post",
  path: "/registrations",
  request: { body: body(Registration) },
  responses: {
    201: json(Tenant, "The new tenant (ACTIVE); its admin gets an invitation"),
    ...problemResponses,
    ...conflict,
  },
});

export const listTenantsRoute = createRoute({
  method: "get",
  path: "/tenants",
  security,
  request: { query: PageQuery },
  responses: { 200: json(TenantPage, "One page of tenants"), ...problemResponses },
});

export const getTenantRoute = createRoute({
  method: "get",
  path: "/tenants/{id}",
  security,
  request: { params: TenantIdParams },
  responses: { 200: json(Tenant, "The tenant"), ...problemResponses },
});

export const changeTierRoute = createRoute({
  method: "patch",
  path: "/tenants/{id}",
  security,
  request: { params: TenantIdParams, body: body(TierChange) },
  responses: { 200: json(Tenant, "The tenant on its new tier"), ...problemResponses, ...conflict },
});

export const deactivateTenantRoute = createRoute({
  method: "post",
  path: "/tenants/{id}/deactivate",
  security,
  request: { params: TenantIdParams },
  responses: { 200: json(Tenant, "The tenant, INACTIVE"), ...problemResponses, ...conflict },
});

export const activateTenantRoute = createRoute({
  method: "post",
  path: "/tenants/{id}/activate",
  security,
  request: { params: TenantIdParams },
  responses: { 200: json(Tenant, "The tenant, ACTIVE"), ...problemResponses, ...conflict },
});

export const offboardTenantRoute = createRoute({
  method: "delete",
  path: "/tenants/{id}",
  security,
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
  security,
  responses: { 200: json(OwnTenant, "The caller's tenant and today's usage"), ...problemResponses },
});
