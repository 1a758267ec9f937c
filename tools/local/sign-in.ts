/** Signs a user in against the local stack's user pool (USER_PASSWORD_AUTH) and returns the tokens. */
import { CognitoIdentityProviderClient, InitiateAuthCommand } from "@aws-sdk/client-cognito-identity-provider";

export interface Tokens {
  idToken: string;
  accessToken: string;
}

export async function signIn(options: {
  endpoint: string;
  region: string;
  clientId: string;
  email: string;
  password: string;
}): Promise<Tokens> {
  const client = new CognitoIdentityProviderClient({
    endpoint: options.endpoint,
    region: options.region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  try {
    const { AuthenticationResult: result } = await client.send(
      new InitiateAuthCommand({
        ClientId: options.clientId,
        AuthFlow: "USER_PASSWORD_AUTH",
        AuthParameters: { USERNAME: options.email, PASSWORD: options.password },
      }),
    );
    if (!result?.IdToken || !result.AccessToken) throw new Error(`no tokens for ${options.email}`);
    return { idToken: result.IdToken, accessToken: result.AccessToken };
  } finally {
    client.destroy();
  }
}
