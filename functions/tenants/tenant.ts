/** The tenant as the control plane's API sees it: what an operator or a new customer sends, what comes back. */
import { z } from "@hono/zod-openapi";
import { freeText } from "@tenantkit/shared/schemas";
import { TENANT_ID_PATTERN, type TenantRecord, TIERS } from "@tenantkit/tenant-context";

/** The tenant id is the slug of its name: `Acme Corp.` -> `acme-corp`. */
export function tenantIdFromName(name: string): string {
  return name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/, "");
}

const name = freeText({ error: "is required" })
  .trim()
  .min(2, { error: "must be at least 2 characters" })
  .max(80, { error: "must be at most 80 characters" })
  .refine((value) => TENANT_ID_PATTERN.test(tenantIdFromName(value)), { error: "must contain letters or digits" });
const adminEmail = z.email({ error: "must be an email address" }).max(254).toLowerCase();

export const NewTenant = z
  .object({ name, tier: z.enum(TIERS, { error: `must be one of ${TIERS.join(", ")}` }), adminEmail })
  .openapi("NewTenant");

/** Self-service sign-up: the top (silo) tier is sold, not self-served. */
export const Registration = z
  .object({
    name,
    adminEmail,
    tier: z.enum(["basic", "standard", "premium"], { error: "must be basic, standard or premium" }).default("basic"),
  })
  .openapi("Registration");

export const TierChange = z
  .object({ tier: z.enum(TIERS, { error: `must be one of ${TIERS.join(", ")}` }) })
  .openapi("TierChange");

export const Tenant = z
  .object({
    tenantId: z.string(),
    name: z.string(),
    tier: z.enum(TIERS),
    status: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Tenant");
export type Tenant = z.infer<typeof Tenant>;

export const TenantPage = z.object({ items: z.array(Tenant), nextCursor: z.string().optional() }).openapi("TenantPage");

export const OwnTenant = Tenant.pick({ tenantId: true, name: true, tier: true, status: true })
  .extend({ usage: z.object({ day: z.string(), requests: z.number().int(), dailyQuota: z.number().int() }) })
  .openapi("OwnTenant");

export const TenantIdParams = z.object({
  id: z
    .string()
    .regex(TENANT_ID_PATTERN, { error: "must be a tenant id (lowercase letters, digits and dashes)" })
    .openapi({ param: { name: "id", in: "path" }, example: "acme" }),
});

/** What the API shows of a record: never its usage key or table names. */
export const toView = (record: TenantRecord): Tenant => ({
  tenantId: record.tenantId,
  name: record.name,
  tier: record.tier,
  status: record.status,
  createdAt: record.createdAt,
  updatedAt: record.updatedAt,
});
