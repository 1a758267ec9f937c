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
 * 1. Read the user (404 unless in the caller's tenant).
 * 2. A new role: add the new group, then remove the old one (never a moment without a role).
 * 3. A new enabled flag: enable, or disable and sign out everywhere.
 * 4. Record the change in the directory.
 */
export async function changeUser(
  deps: { identity: IdentityProvider; directory: UserDirectory },
  userId: string,
  change: { role?: DirectoryUser["role"] | undefined; enabled?: boolean | undefined },
  now = new Date(),
): Promise<DirectoryUser> {
  const user = await getUser(deps.directory, userId);
  if (change.role && change.role !== user.role) {
    await deps.identity.grantRole(user.email, change.role);
    await deps.identity.revokeRole(user.email, user.role);
  }
  if (change.enabled !== undefined && change.enabled !== user.enabled)
    await deps.identity.setEnabled(user.email, change.enabled);
  const updated: DirectoryUser = {
    ...user,
    role: change.role ?? user.role,
    enabled: change.enabled ?? user.enabled,
    updatedAt: now.toISOString(),
  };
  await deps.directory.put(updated);
  return updated;
}

/** 1. Read the user (404 unless in the caller's tenant). 2. Delete it in Cognito, then from the directory. */
export async function deleteUser(
  deps: { identity: IdentityProvider; directory: UserDirectory },
  userId: string,
): Promise<void> {
  const user = await getUser(deps.directory, userId);
  await deps.identity.deleteUser(user.email);
  await deps.directory.remove(userId);
}
