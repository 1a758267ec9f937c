/** Users in the identity provider (Cognito): each with an immutable tenant claim and a role group. */
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminSetUserPasswordCommand,
  AdminUserGlobalSignOutCommand,
  CognitoIdentityProviderClient,
  InvalidParameterException,
  UserNotFoundException,
  UsernameExistsException,
} from "@aws-sdk/client-cognito-identity-provider";
import { type Role, TENANT_CLAIM } from "@tenantkit/tenant-context";

export interface NewUser {
  email: string;
  tenantId: string;
  role: Role;
  /** permanent password; omitted = Cognito invites the user by email */
  password?: string;
}

/** Users in the identity provider (Cognito), each with an immutable tenant claim. */
export interface IdentityProvider {
  /** creates the user with its tenant claim and the role's group; returns the user id (`sub`) */
  createUser(user: NewUser): Promise<string>;
  userExists(email: string): Promise<boolean>;
  deleteUser(email: string): Promise<void>;
  grantRole(email: string, role: Role): Promise<void>;
  revokeRole(email: string, role: Role): Promise<void>;
  /** sets a permanent password (seeding and tests; real users set their own) */
  setPassword(email: string, password: string): Promise<void>;
  /** enables or disables sign-in; disabling also signs the user out everywhere */
  setEnabled(email: string, enabled: boolean): Promise<void>;
}

export class EmailTakenError extends Error {}
/** The identity provider refused the email (its rules are stricter than RFC 5322's). */
export class EmailRefusedError extends Error {}

export function createCognitoIdentityProvider(
  userPoolId: string,
  client = new CognitoIdentityProviderClient({}),
): IdentityProvider {
  const provider: IdentityProvider = {
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
      try {
        if (user.password) await provider.setPassword(user.email, user.password);
        await provider.grantRole(user.email, user.role);
      } catch (error) {
        // Half a user is no user: remove it so the caller's compensation has nothing to miss.
        await provider.deleteUser(user.email);
        throw error;
      }
      return User?.Attributes?.find((a) => a.Name === "sub")?.Value ?? user.email;
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
    async grantRole(email, role) {
      await client.send(new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: email, GroupName: role }));
    },
    async setPassword(email, password) {
      await client.send(
        new AdminSetUserPasswordCommand({
          UserPoolId: userPoolId,
          Username: email,
          Password: password,
          Permanent: true,
        }),
      );
    },
    async revokeRole(email, role) {
      await client.send(
        new AdminRemoveUserFromGroupCommand({ UserPoolId: userPoolId, Username: email, GroupName: role }),
      );
    },
    async setEnabled(email, enabled) {
      if (enabled) {
        await client.send(new AdminEnableUserCommand({ UserPoolId: userPoolId, Username: email }));
        return;
      }
      await client.send(new AdminDisableUserCommand({ UserPoolId: userPoolId, Username: email }));
      await client.send(new AdminUserGlobalSignOutCommand({ UserPoolId: userPoolId, Username: email }));
    },
    async deleteUser(email) {
      try {
        await client.send(new AdminDeleteUserCommand({ UserPoolId: userPoolId, Username: email }));
      } catch (error) {
        if (!(error instanceof UserNotFoundException)) throw error;
      }
    },
  };
  return provider;
}
