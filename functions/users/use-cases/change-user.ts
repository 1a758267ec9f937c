/** Use cases: read, change and remove a user of the caller's tenant. */

import type { IdentityProvider } from "@tenantkit/shared/identity-provider";
import type { DirectoryUser, UserDirectory } from "@tenantkit/shared/user-directory";
import { NotFoundError } from "@tenantkit/tenant-context";

/** 1. Read the user from the caller's tenant's directory; not there (another tenant's user too): 404. */
export async function getUser(directory: UserDirectory, userId: string): Promise<DirectoryUser> {
  const user = await directory.get(userId);
  if (!user) throw new NotFoundError("user", userId);
  return user;
}

/**
 * 1. Read the user (404 unless in the caller's tenant's directory).
 * 2. In Cognito, by its id and only if it is the caller's tenant's user (404 otherwise): a new role
 *    (the new group first, then the old one goes: never a moment without a role); a new enabled
 *    flag (enable, or disable and sign out everywhere).
 * 3. Record the change, and the user's current email, in the directory.
 */
export async function changeUser(
  deps: { identity: IdentityProvider; directory: UserDirectory },
  tenantId: string,
  userId: string,
  change: { role?: DirectoryUser["role"] | undefined; enabled?: boolean | undefined },
  now = new Date(),
): Promise<DirectoryUser> {
  const user = await getUser(deps.directory, userId);
  const { email } = await deps.identity.changeTenantUser(tenantId, userId, {
    ...(change.role && change.role !== user.role && { role: { from: user.role, to: change.role } }),
    ...(change.enabled !== undefined && change.enabled !== user.enabled && { enabled: change.enabled }),
  });
  const updated: DirectoryUser = {
    ...user,
    email: email || user.email,
    role: change.role ?? user.role,
    enabled: change.enabled ?? user.enabled,
    updatedAt: now.toISOString(),
  };
  await deps.directory.put(updated);
  return updated;
}

/**
 * 1. Read the user (404 unless in the caller's tenant's directory).
 * 2. Delete it in Cognito, by its id and only if it is the caller's tenant's user; otherwise the
 *    entry names no user of the tenant: drop it and answer 404.
 * 3. Remove it from the directory.
 */
export async function deleteUser(
  deps: { identity: IdentityProvider; directory: UserDirectory },
  tenantId: string,
  userId: string,
): Promise<void> {
  await getUser(deps.directory, userId);
  try {
    await deps.identity.changeTenantUser(tenantId, userId, "delete");
  } catch (error) {
    if (error instanceof NotFoundError) await deps.directory.remove(userId);
    throw error;
  }
  await deps.directory.remove(userId);
}
