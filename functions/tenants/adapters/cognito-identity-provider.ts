/** Users in the Cognito user pool, with the immutable `custom:tenantId` claim and a role group. */
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  UserNotFoundException,
} from "@aws-sdk/client-cognito-identity-provider";
import { TENANT_CLAIM } from "@tenantkit/tenant-context";
import type { IdentityProvider } from "../ports.ts";

export function createCognitoIdentityProvider(
  userPoolId: string,
  client = new CognitoIdentityProviderClient({}),
): IdentityProvider {
  return {
    async createUser(user) {
      const { User } = await client.send(
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
      );
      if (user.password) {
        await client.send(
          new AdminSetUserPasswordCommand({
            UserPoolId: userPoolId,
            Username: user.email,
            Password: user.password,
            Permanent: true,
          }),
        );
      }
      await this.grantRole(user.email, user.role);
      return User?.Attributes?.find((a) => a.Name === "sub")?.Value ?? user.email;
    },
    async grantRole(email, role) {
      await client.send(new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: email, GroupName: role }));
    },
    async deleteUser(email) {
      try {
        await client.send(new AdminDeleteUserCommand({ UserPoolId: userPoolId, Username: email }));
      } catch (error) {
        if (!(error instanceof UserNotFoundException)) throw error;
      }
    },
  };
}
