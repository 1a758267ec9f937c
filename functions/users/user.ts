/** A user of the caller's tenant as the users API sees it. */
import { z } from "@hono/zod-openapi";

/** The roles a tenant admin may give: never system-admin. */
export const TENANT_ROLES = ["tenant-admin", "tenant-user"] as const;
const role = z.enum(TENANT_ROLES, { error: "must be tenant-admin or tenant-user" });

export const NewUser = z
  .object({ email: z.email({ error: "must be an email address" }).max(254).toLowerCase(), role })
  .openapi("NewUser");

export const UserChange = z
  .object({ role: role.optional(), enabled: z.boolean({ error: "must be true or false" }).optional() })
  .refine((change) => change.role !== undefined || change.enabled !== undefined, {
    error: "must change role or enabled",
  })
  .openapi("UserChange");

export const User = z
  .object({
    userId: z.string(),
    email: z.string(),
    role,
    enabled: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("User");

export const UserPage = z.object({ items: z.array(User), nextCursor: z.string().optional() }).openapi("UserPage");
