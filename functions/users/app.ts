/** The users service: a tenant admin manages the users of their own tenant, and only those. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { decodeCursor, encodeCursor } from "@tenantkit/shared/cursor";
import type { IdentityProvider } from "@tenantkit/shared/identity-provider";
import { createCognitoIdentityProvider } from "@tenantkit/shared/identity-provider";
import { createServiceApp } from "@tenantkit/shared/service-app";
import { createUserDirectory } from "@tenantkit/shared/user-directory";
import { requireEnv, requireRole, type TenantContextOptions, type TenantEnv } from "@tenantkit/tenant-context";
import type { Context } from "hono";
import { changeUserRoute, createUserRoute, deleteUserRoute, getUserRoute, listUsersRoute } from "./routes.ts";
import { changeUser, deleteUser, getUser, type UserChangeDeps } from "./use-cases/change-user.ts";
import { createUser } from "./use-cases/create-user.ts";

export function createUsersApp(
  options: { identity?: IdentityProvider; tenantContext?: TenantContextOptions } = {},
): OpenAPIHono<TenantEnv> {
  const identity = options.identity ?? createCognitoIdentityProvider(requireEnv("USER_POOL_ID"));
  const app = createServiceApp(options.tenantContext ?? { tables: { users: requireEnv("USERS_TABLE") } });
  app.use("/users", requireRole("tenant-admin"));
  app.use("/users/*", requireRole("tenant-admin"));
  const directory = (c: Context<TenantEnv>) => createUserDirectory(c.var.data.table("users"));
  /** What changing or removing a user needs: Cognito, and the caller's tenant's directory and revocations. */
  const changeDeps = (c: Context<TenantEnv>): UserChangeDeps => ({
    identity,
    directory: directory(c),
    revocations: c.var.revocations,
    callerRoles: c.var.tenant.roles,
  });

  app.openapi(createUserRoute, async (c) =>
    c.json(await createUser({ identity, directory: directory(c) }, c.var.tenant.id, c.req.valid("json")), 201),
  );

  app.openapi(listUsersRoute, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const { items, nextKey } = await directory(c).page(limit, decodeCursor(cursor, ["userId"]));
    const nextCursor = encodeCursor(nextKey);
    return c.json({ items, ...(nextCursor && { nextCursor }) }, 200);
  });

  app.openapi(getUserRoute, async (c) => c.json(await getUser(directory(c), c.req.valid("param").id), 200));

  app.openapi(changeUserRoute, async (c) =>
    c.json(await changeUser(changeDeps(c), c.var.tenant.id, c.req.valid("param").id, c.req.valid("json")), 200),
  );

  app.openapi(deleteUserRoute, async (c) => {
    await deleteUser(changeDeps(c), c.var.tenant.id, c.req.valid("param").id);
    return c.body(null, 204);
  });

  return app;
}
