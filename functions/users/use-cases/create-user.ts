/** Use case: a tenant admin adds a user to their own tenant. */

import { EmailRefusedError, EmailTakenError, type IdentityProvider } from "@tenantkit/shared/identity-provider";
import type { DirectoryUser, UserDirectory } from "@tenantkit/shared/user-directory";
import { ConflictError, NotFoundError, ValidationError } from "@tenantkit/tenant-context";

/**
 * 1. Create the Cognito user with the caller's tenant as its immutable claim and the role's group
 *    (Cognito invites it by email); a taken email is a 409.
 * 2. Add it to the tenant's directory; if that fails, remove the Cognito user again (by its id).
 */
export async function createUser(
  deps: { identity: IdentityProvider; directory: UserDirectory },
  tenantId: string,
  input: { email: string; role: DirectoryUser["role"] },
  now = new Date(),
): Promise<DirectoryUser> {
  let userId: string;
  try {
    userId = await deps.identity.createUser({ email: input.email, tenantId, role: input.role });
  } catch (error) {
    if (error instanceof EmailTakenError) {
      throw new ConflictError(`The email '${input.email}' belongs to an existing user.`);
    }
    if (error instanceof EmailRefusedError) {
      throw new ValidationError([
        { location: "body", field: "email", message: "is not accepted by the identity provider" },
      ]);
    }
    throw error;
  }
  const timestamp = now.toISOString();
  const user: DirectoryUser = {
    userId,
    email: input.email,
    role: input.role,
    enabled: true,
    createdAt: timestamp,
    updatedAt: timestamp,
  };
  try {
    await deps.directory.put(user);
  } catch (error) {
    await deps.identity.changeTenantUser(tenantId, userId, "delete").catch((gone: unknown) => {
      if (!(gone instanceof NotFoundError)) throw gone;
    });
    throw error;
  }
  return user;
}
