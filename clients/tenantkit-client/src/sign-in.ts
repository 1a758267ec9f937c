/** Signs a user in with Cognito's USER_PASSWORD_AUTH flow over plain HTTPS: no AWS SDK and no AWS credentials needed. */

export interface SignInOptions {
  /** the stage's user pool region, e.g. `eu-west-1` */
  region: string;
  /** the app client id (`UserPoolClientId` output of the stack) */
  clientId: string;
  username: string;
  password: string;
  /** Cognito's endpoint; default `https://cognito-idp.<region>.amazonaws.com/` (the local stack gives moto's) */
  endpoint?: string;
  fetch?: typeof fetch;
}

export interface Tokens {
  /** carries the tenant (`custom:tenantId`); send it as the bearer token */
  idToken: string;
  accessToken: string;
  refreshToken?: string;
  expiresInSeconds: number;
}

/** Cognito refused the sign-in (wrong password, unknown user, a challenge the client cannot answer). */
export class SignInError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = "SignInError";
  }
}

interface InitiateAuthAnswer {
  AuthenticationResult?: { IdToken?: string; AccessToken?: string; RefreshToken?: string; ExpiresIn?: number };
  ChallengeName?: string;
  __type?: string;
  message?: string;
}

/**
 * Signs in with username and password (the app client allows `ALLOW_USER_PASSWORD_AUTH`).
 * InitiateAuth is a public Cognito API, so this is one unsigned HTTPS request.
 *
 * @example
 * const tokens = await signIn({ region: "us-east-1", clientId, username: "user@acme.test", password });
 * const api = createTenantkitClient({ baseUrl, token: tokens.idToken });
 */
export async function signIn(options: SignInOptions): Promise<Tokens> {
  const endpoint = options.endpoint ?? `https://cognito-idp.${options.region}.amazonaws.com/`;
  const response = await (options.fetch ?? fetch)(endpoint, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
    },
    body: JSON.stringify({
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: options.clientId,
      AuthParameters: { USERNAME: options.username, PASSWORD: options.password },
    }),
  });
  const answer = (await response.json().catch(() => ({}))) as InitiateAuthAnswer;
  if (!response.ok) {
    const code = (answer.__type ?? `HTTP ${response.status}`).split("#").at(-1) as string;
    throw new SignInError(`sign-in of ${options.username} refused: ${answer.message ?? code}`, code);
  }
  const result = answer.AuthenticationResult;
  if (!result?.IdToken || !result.AccessToken) {
    const challenge = answer.ChallengeName ?? "no tokens";
    throw new SignInError(
      `sign-in of ${options.username} needs ${challenge}, which this client does not answer`,
      challenge,
    );
  }
  return {
    idToken: result.IdToken,
    accessToken: result.AccessToken,
    ...(result.RefreshToken && { refreshToken: result.RefreshToken }),
    expiresInSeconds: result.ExpiresIn ?? 3600,
  };
}
