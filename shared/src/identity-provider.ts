/** Users in the identity provider (Cognito): each with an immutable tenant claim and a role group. */
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminSetUserPasswordCommand,
  AdminUserGlobalSignOutCommand,
  CognitoIdentityProviderClient,
  InvalidParameterException,
  UserNotFoundException,
  UsernameExistsException,
} from "@aws-sdk/client-cognito-identity-provider";
import { NotFoundError, ROLES, type Role, TENANT_CLAIM } from "@tenantkit/tenant-context";

export interface NewUser {
  email: string;
  tenantId: string;
  role: Role;
  /** permanent password; omitted = Cognito invites the user by email */
  password?: string;
}

/** What to change on an existing user: its role (the new group first), and whether it may sign in. */
export interface UserChange {
  role?: { from: Role; to: Role };
  /** false also signs the user out everywhere */
  enabled?: boolean;
}

/** Users in the identity provider (Cognito), each with an immutable tenant claim. */
export interface IdentityProvider {
  /** creates the user with its tenant claim and the role's group; returns the user id (`sub`) */
  createUser(user: NewUser): Promise<string>;
  userExists(email: string): Promise<boolean>;
  /**
   * The one way to change or delete an existing user of a tenant. The user is addressed by its id
   * (`sub`, its immutable username), never by email: users change their own email, and the old
   * address may then belong to another tenant's user. Reads the user first and does nothing but
   * throw `NotFoundError` unless it exists with that id and `tenantId` as its tenant claim.
   * Returns the user's current email.
   */
  changeTenantUser(tenantId: string, userId: string, change: UserChange | "delete"): Promise<{ email: string }>;
  /** The roles (groups) of user `userId` of `tenantId`, as `changeTenantUser` finds it; otherwise `NotFoundError`. */
  rolesOf(tenantId: string, userId: string): Promise<Role[]>;
  /** By email and unchecked: only for seeding. Users of a tenant are changed through `changeTenantUser`. */
  grantRole(email: string, role: Role): Promise<void>;
  /** sets a permanent password (seeding and tests; real users set their own) */
  setPassword(email: string, password: string): Promise<void>;
}

export class EmailTakenError extends Error {}
/** The identity provider refused the email (its rules are stricter than RFC 5322's). */
export class EmailRefusedError extends Error {}

export function createCognitoIdentityProvider(
  userPoolId: string,
  client = new CognitoIdentityProviderClient({}),
): IdentityProvider {
  /** `username` is the immutable username (the `sub`) or, for the setup methods, the email. */
  const setPassword = (username: string, password: string) =>
    client.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: userPoolId,
        Username: username,
        Password: password,
        Permanent: true,
      }),
    );
  const addToGroup = (username: string, role: Role) =>
    client.send(new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: username, GroupName: role }));
  const remove = async (username: string) => {
    try {
      await client.send(new AdminDeleteUserCommand({ UserPoolId: userPoolId, Username: username }));
    } catch (error) {
      if (!(error instanceof UserNotFoundException)) throw error;
    }
  };

  /** The user's username and email if it is `userId` of `tenantId`; otherwise `NotFoundError`. */
  async function userOfTenant(tenantId: string, userId: string) {
    const user = await client
      .send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: userId }))
      .catch((error: unknown) => {
        if (error instanceof UserNotFoundException) throw new NotFoundError("user", userId);
        throw error;
      });
    const attribute = (name: string) => user.UserAttributes?.find((a) => a.Name === name)?.Value;
    // Cognito also finds a user by an alias (its current email): only the id itself counts.
    if (!user.Username || attribute("sub") !== userId || attribute(TENANT_CLAIM) !== tenantId) {
      throw new NotFoundError("user", userId);
    }
    return { username: user.Username, email: attribute("email") ?? "" };
  }

  return {
    async createUser(user) {
      const { User } = await client
        .send(
          new AdminCreateUserCommand({
            UserPoolId: userPoolId,
            Username: user.email,
            UserAttributes: [
              { Name: "email", Value: user.email },
              { Name: "email_verified", Value: "true" },
              { Name: TENANT_CLAIM, Value: user.tenantId },
            ],
            ...(user.password && { MessageAction: "SUPPRESS" }),
          }),
        )
        .catch((error: unknown) => {
          if (error instanceof UsernameExistsException) throw new EmailTakenError(user.email);
          if (error instanceof InvalidParameterException) throw new EmailRefusedError(error.message);
          throw error;
        });
      // With `UsernameAttributes: [email]` the username Cognito gives the user is its `sub`.
      const username = User?.Username;
      const userId = User?.Attributes?.find((a) => a.Name === "sub")?.Value;
      if (!username || !userId) throw new Error("Cognito created a user without a username or sub");
      try {
        if (user.password) await setPassword(username, user.password);
        await addToGroup(username, user.role);
      } catch (error) {
        // Half a user is no user: remove it so the caller's compensation has nothing to miss.
        await remove(username);
        throw error;
      }
      return userId;
    },
    async userExists(email) {
      try {
        await client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: email }));
        return true;
      } catch (error) {
        if (error instanceof UserNotFoundException) return false;
        if (error instanceof InvalidParameterException) throw new EmailRefusedError(error.message);
        throw error;
      }
    },
    async changeTenantUser(tenantId, userId, change) {
      const { username, email } = await userOfTenant(tenantId, userId);
      // Deleted since it was read: the same as not there.
      const gone = (error: unknown): never => {
        if (error instanceof UserNotFoundException) throw new NotFoundError("user", userId);
        throw error;
      };
      const target = { UserPoolId: userPoolId, Username: username };
      if (change === "delete") {
        await client.send(new AdminDeleteUserCommand(target)).catch(gone);
        return { email };
      }
      if (change.role && change.role.to !== change.role.from) {
        await client.send(new AdminAddUserToGroupCommand({ ...target, GroupName: change.role.to })).catch(gone);
        await client.send(new AdminRemoveUserFromGroupCommand({ ...target, GroupName: change.role.from })).catch(gone);
      }
      if (change.enabled === true) await client.send(new AdminEnableUserCommand(target)).catch(gone);
      if (change.enabled === false) {
        await client.send(new AdminDisableUserCommand(target)).catch(gone);
        await client.send(new AdminUserGlobalSignOutCommand(target)).catch(gone);
      }
      return { email };
    },
    async rolesOf(tenantId, userId) {
      const { username } = await userOfTenant(tenantId, userId);
      const { Groups = [] } = await client
        .send(new AdminListGroupsForUserCommand({ UserPoolId: userPoolId, Username: username }))
        .catch((error: unknown) => {
          // Deleted between the two reads: as if it had not been found by the first.
          if (error instanceof UserNotFoundException) throw new NotFoundError("user", userId);
          throw error;
        });
      return ROLES.filter((role) => Groups.some((group) => group.GroupName === role));
    },
    async grantRole(email, role) {
      await addToGroup(email, role);
    },
    async setPassword(email, password) {
      await setPassword(email, password);
    },
  };
}
