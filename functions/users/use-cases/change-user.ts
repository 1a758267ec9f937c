/** Use cases: read, change and remove a user of the caller's tenant. */

import type { IdentityProvider } from "@tenantkit/shared/identity-provider";
import type { DirectoryUser, UserDirectory } from "@tenantkit/shared/user-directory";
import { ForbiddenError, NotFoundError, type Role, type TenantTokenRevocations } from "@tenantkit/tenant-context";

/** What changing or removing a user needs: Cognito, the tenant's directory, its token revocations, who asks. */
export interface UserChangeDeps {
  identity: IdentityProvider;
  directory: UserDirectory;
  revocations: TenantTokenRevocations;
  /** the caller's roles: only a system admin changes or removes a system admin */
  callerRoles: readonly Role[];
}

/**
 * The user's roles in Cognito (404 unless it is the tenant's user there). A system admin (the
 * operator's, a user of the operator's tenant) is changed or removed by a system admin only:
 * another admin of that tenant could otherwise lock the operator out.
 */
async function rolesToChange(deps: UserChangeDeps, tenantId: string, userId: string): Promise<Role[]> {
  const roles = await deps.identity.rolesOf(tenantId, userId);
  if (roles.includes("system-admin") && !deps.callerRoles.includes("system-admin")) {
    throw new ForbiddenError("Only a system admin may change or remove a system admin.");
  }
  return roles;
}

/** 1. Read the user from the caller's tenant's directory; not there (another tenant's user too): 404. */
export async function getUser(directory: UserDirectory, userId: string): Promise<DirectoryUser> {
  const user = await directory.get(userId);
  if (!user) throw new NotFoundError("user", userId);
  return user;
}

/**
 * 1. Read the user (404 unless in the caller's tenant's directory).
 * 2. In Cognito, by its id and only if it is the caller's tenant's user (404 otherwise), and a
 *    system admin only by a system admin (403): a role other than the one Cognito has (the new
 *    group first, then the old one goes: never a moment without a role); the enabled flag asked
 *    for (enable, or disable and sign out everywhere).
 * 3. A new role or a disable: revoke the tokens the user holds (they carry the old role, or outlive
 *    the sign-out), refused within the registry's cache age instead of when they expire.
 * 4. Record the change, and the user's current email, in the directory. Done last, so a retry of a
 *    request that failed half way makes the same changes again, revocation included.
 */
export async function changeUser(
  deps: UserChangeDeps,
  tenantId: string,
  userId: string,
  change: { role?: DirectoryUser["role"] | undefined; enabled?: boolean | undefined },
  now = new Date(),
): Promise<DirectoryUser> {
  const user = await getUser(deps.directory, userId);
  // Cognito, not the directory, says what the user is now: the directory is written last, and lags
  // a change that failed half way. So the role is compared with Cognito's, and an asked enabled
  // flag is always applied (enabling or disabling twice changes nothing).
  const held = (await rolesToChange(deps, tenantId, userId)).filter((role) => role !== "system-admin");
  // Another tenant role than the one asked (a promotion that failed half way leaves both) goes.
  const other = held.find((role) => role !== change.role);
  const role =
    change.role && (other || !held.includes(change.role)) ? { from: other ?? user.role, to: change.role } : undefined;
  const enabled = change.enabled;
  const { email } = await deps.identity.changeTenantUser(tenantId, userId, {
    ...(role && { role }),
    ...(enabled !== undefined && { enabled }),
  });
  if (role || enabled === false) await deps.revocations.revokeUser(userId);
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
 * 2. Delete it in Cognito, by its id and only if it is the caller's tenant's user (a system admin
 *    only by a system admin: 403); otherwise the
 *    entry names no user of the tenant (or one a failed attempt already deleted): drop it and answer 404.
 * 3. Either way, revoke its tokens: a deleted user's would otherwise work until they expire.
 * 4. Remove it from the directory.
 */
export async function deleteUser(deps: UserChangeDeps, tenantId: string, userId: string): Promise<void> {
  await getUser(deps.directory, userId);
  try {
    await rolesToChange(deps, tenantId, userId);
    await deps.identity.changeTenantUser(tenantId, userId, "delete");
  } catch (error) {
    if (error instanceof NotFoundError) {
      await deps.revocations.revokeUser(userId);
      await deps.directory.remove(userId);
    }
    throw error;
  }
  await deps.revocations.revokeUser(userId);
  await deps.directory.remove(userId);
}
