/** Test support: Cognito users as they really are in moto, and what a user can do to itself. */
import {
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminSetUserPasswordCommand,
  type CognitoIdentityProviderClient,
  UpdateUserAttributesCommand,
  UserNotFoundException,
} from "@aws-sdk/client-cognito-identity-provider";
import { signIn, type Tokens } from "../../tools/local/sign-in.ts";

export interface CognitoTestUsersOptions {
  cognito: CognitoIdentityProviderClient;
  userPoolId: string;
  /** where `signIn` reaches Cognito, and the app client it signs in through */
  endpoint: string;
  region: string;
  clientId: string;
  /** the permanent password `signInAs` gives a user */
  password: string;
}

/**
 * @example
 * const users = cognitoTestUsers({ cognito, userPoolId, endpoint, region, clientId, password: "Test-pass-1" });
 * expect(await users.get(userId)).toEqual({ email, tenantId: "acme", enabled: true, groups: ["tenant-user"] });
 */
export function cognitoTestUsers(options: CognitoTestUsersOptions) {
  const { cognito, userPoolId: UserPoolId, password } = options;
  /** Gives the user (by email or id) a permanent password and signs it in. */
  async function signInAs(email: string): Promise<Tokens> {
    await cognito.send(
      new AdminSetUserPasswordCommand({ UserPoolId, Username: email, Password: password, Permanent: true }),
    );
    return signIn({ ...options, email, password });
  }
  return {
    signInAs,
    /** The user with that id (`sub`) or email as Cognito has it, or undefined when there is none. */
    async get(username: string) {
      try {
        const user = await cognito.send(new AdminGetUserCommand({ UserPoolId, Username: username }));
        const { Groups = [] } = await cognito.send(
          new AdminListGroupsForUserCommand({ UserPoolId, Username: username }),
        );
        const attribute = (name: string) => user.UserAttributes?.find((a) => a.Name === name)?.Value;
        return {
          email: attribute("email"),
          tenantId: attribute("custom:tenantId"),
          enabled: user.Enabled,
          groups: Groups.map((g) => g.GroupName),
        };
      } catch (error) {
        if (error instanceof UserNotFoundException) return undefined;
        throw error;
      }
    },
    /** The user changes its own email, as the app client lets it (`WriteAttributes: [email]`). */
    async changeOwnEmail(email: string, newEmail: string): Promise<void> {
      const { accessToken } = await signInAs(email);
      await cognito.send(
        new UpdateUserAttributesCommand({
          AccessToken: accessToken,
          UserAttributes: [{ Name: "email", Value: newEmail }],
        }),
      );
    },
  };
}
