/** The control plane: onboarding, tiers, lifecycle and offboarding of tenants (system admin), and a tenant's own view. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { EmailRefusedError, EmailTakenError } from "@tenantkit/shared/identity-provider";
import { createPublicApp, createServiceApp, fieldErrors } from "@tenantkit/shared/service-app";
import {
  ConflictError,
  ndjsonResponse,
  requireEnv,
  requireRole,
  type TenantContextOptions,
  type TenantEnv,
  tenantDailyQuota,
  USAGE_TABLE_NAME,
  usageToday,
  ValidationError,
} from "@tenantkit/tenant-context";
import type { Context } from "hono";
import { type ControlPlane, createControlPlane } from "./control-plane.ts";
import { type OnboardingRequest, TenantExistsError } from "./ports.ts";
import {
  activateTenantRoute,
  changeTierRoute,
  createTenantRoute,
  deactivateTenantRoute,
  getOwnTenantRoute,
  getTenantRoute,
  listTenantsRoute,
  offboardTenantRoute,
  registerRoute,
} from "./routes.ts";
import { TenantIdParams, tenantIdFromName, toView } from "./tenant.ts";
import { startTierChange, type TierChangeLine } from "./use-cases/change-tier.ts";
import { getOwnTenant } from "./use-cases/get-own-tenant.ts";
import { getTenant } from "./use-cases/get-tenant.ts";
import { listTenants } from "./use-cases/list-tenants.ts";
import { exportAndDeleteTenant, startOffboarding } from "./use-cases/offboard-tenant.ts";
import { onboardTenant } from "./use-cases/onboard-tenant.ts";
import { setTenantStatus } from "./use-cases/set-tenant-status.ts";

/** Onboards through the saga and answers the duplicate cases with 409. */
async function onboard(controlPlane: ControlPlane, request: Omit<OnboardingRequest, "tenantId">) {
  const tenantId = tenantIdFromName(request.name);
  try {
    return toView(await onboardTenant(controlPlane.onboarding, { ...request, tenantId }));
  } catch (error) {
    if (error instanceof TenantExistsError)
      throw new ConflictError(`A tenant named '${request.name}' (id '${tenantId}') exists already.`);
    if (error instanceof EmailTakenError) {
      throw new ConflictError(`The email '${request.adminEmail}' belongs to an existing user.`);
    }
    if (error instanceof EmailRefusedError) {
      throw new ValidationError([
        { location: "body", field: "adminEmail", message: "is not accepted by the identity provider" },
      ]);
    }
    throw error;
  }
}

/** The lines of a move as the API shows them: the tenant as `GET /tenants/{id}` would. */
async function* tierChangeLines(lines: AsyncIterable<TierChangeLine>) {
  for await (const { type, record } of lines) yield { type, tenant: toView(record) };
}

export interface TenantsAppOptions {
  controlPlane?: ControlPlane;
  tenantContext?: TenantContextOptions;
}

/** The operator's own tenant is not offboarded or deactivated through the API: 400 naming the id. */
function refuseOwnTenant(c: Context<TenantEnv>, id: string): void {
  if (id === c.var.tenant.id) {
    throw new ValidationError([{ location: "path", field: "id", message: "is your own tenant" }]);
  }
}

/** The system admin's routes, and `GET /tenant` for a tenant admin. */
export function createTenantsApp(options: TenantsAppOptions = {}): OpenAPIHono<TenantEnv> {
  const controlPlane = options.controlPlane ?? createControlPlane();
  const { records } = controlPlane.onboarding;
  const app = createServiceApp(options.tenantContext ?? { tables: { users: requireEnv("USERS_TABLE") } });
  const systemAdmin = requireRole("system-admin");
  for (const path of ["/tenants", "/tenants/*"]) app.use(path, systemAdmin);
  /** The control plane for this request: its events name the request and the system admin who made it. */
  const forCaller = (c: Context<TenantEnv>) => controlPlane.forRequest(c.var.correlationId, c.var.tenant.userId);

  app.openapi(createTenantRoute, async (c) => c.json(await onboard(forCaller(c), c.req.valid("json")), 201));

  app.openapi(listTenantsRoute, async (c) => {
    const page = await listTenants(records, c.req.valid("query"));
    return c.json({ ...page, items: page.items.map(toView) }, 200);
  });

  app.openapi(getTenantRoute, async (c) => c.json(toView(await getTenant(records, c.req.valid("param").id)), 200));

  // A change between pooled tiers answers the tenant; a move between pooled and dedicated tables
  // outlasts a buffered answer (API Gateway's 29 s), so it streams the record as the move goes.
  app.openapi(changeTierRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { tierChange } = forCaller(c);
    const started = await startTierChange(tierChange, id, c.req.valid("json").tier);
    if (!started.move) return c.json(toView(started.record), 200);
    // zod-openapi types a handler's answers by media type and has no type for NDJSON (it takes
    // `application/x-ndjson` for a JSON type it refuses); the route documents both.
    return ndjsonResponse(c, tierChangeLines(started.move)) as never;
  });

  app.openapi(deactivateTenantRoute, async (c) => {
    const { id } = c.req.valid("param");
    // Deactivating the operator's own tenant would refuse every system admin's token.
    refuseOwnTenant(c, id);
    const { onboarding } = forCaller(c);
    return c.json(toView(await setTenantStatus(onboarding, id, "INACTIVE")), 200);
  });

  app.openapi(activateTenantRoute, async (c) => {
    const { onboarding } = forCaller(c);
    return c.json(toView(await setTenantStatus(onboarding, c.req.valid("param").id, "ACTIVE")), 200);
  });

  // A stream is not a typed JSON response: documented here, handled below.
  app.openAPIRegistry.registerPath(offboardTenantRoute);
  app.delete("/tenants/:id", async (c) => {
    const sent = c.req.param();
    const params = TenantIdParams.safeParse(sent);
    if (!params.success) throw new ValidationError(fieldErrors(params.error, "param", sent));
    const { id } = params.data;
    refuseOwnTenant(c, id);
    const record = await startOffboarding(records, id);
    const { offboarding } = forCaller(c);
    return ndjsonResponse(c, exportAndDeleteTenant(offboarding, record));
  });

  app.use("/tenant", requireRole("tenant-admin"));
  app.openapi(getOwnTenantRoute, async (c) => {
    const { tenant, data, config } = c.var;
    const record = await getTenant(records, tenant.id);
    const own = await getOwnTenant({
      record,
      usageToday: () => usageToday(data.table(USAGE_TABLE_NAME)),
      dailyQuota: () => tenantDailyQuota(config, record),
    });
    return c.json(own, 200);
  });

  return app;
}

/** The public self-service sign-up: no token; throttled by the API's method settings. */
export function createRegistrationsApp(controlPlane: ControlPlane = createControlPlane()): OpenAPIHono<TenantEnv> {
  const app = createPublicApp();
  app.openapi(registerRoute, async (c) =>
    c.json(await onboard(controlPlane.forRequest(c.var.correlationId), c.req.valid("json")), 201),
  );
  return app;
}
