/**
 * The local stack's user pool runs the template's pre-token-generation (V2) trigger when it issues
 * tokens, as Cognito does (moto runs no triggers: tools/local/moto_server.py invokes it through
 * the local Lambda endpoint).
 */
import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { afterAll, describe, expect, it } from "vitest";
import { DEMO_PASSWORD } from "../../tools/local/seed.ts";
import { parseToken } from "../security/support/tokens.ts";
import { ACME_ADMIN, api, stack } from "./client.ts";

const cognito = new CognitoIdentityProviderClient({
  endpoint: stack.endpoint,
  region: stack.region,
  credentials: { accessKeyId: "x", secretAccessKey: "x" },
});
afterAll(() => cognito.destroy());

const claimsOf = (token: string | undefined) => parseToken(token ?? "").payload;

const passwordSignIn = (clientId: string, username: string) =>
  cognito.send(
    new InitiateAuthCommand({
      ClientId: clientId,
      AuthFlow: "USER_PASSWORD_AUTH",
      AuthParameters: { USERNAME: username, PASSWORD: DEMO_PASSWORD },
    }),
  );

describe("the local user pool's pre-token-generation trigger", () => {
  it("puts the tenant claim in access tokens at sign-in and at refresh, which the API then accepts", async () => {
    const signedIn = (await passwordSignIn(stack.clientId, ACME_ADMIN)).AuthenticationResult;
    expect(claimsOf(signedIn?.AccessToken)).toMatchObject({ token_use: "access", "custom:tenantId": "acme" });
    expect(claimsOf(signedIn?.IdToken)).toMatchObject({ token_use: "id", "custom:tenantId": "acme" });

    const refreshed = (
      await cognito.send(
        new InitiateAuthCommand({
          ClientId: stack.clientId,
          AuthFlow: "REFRESH_TOKEN_AUTH",
          AuthParameters: { REFRESH_TOKEN: signedIn?.RefreshToken as string },
        }),
      )
    ).AuthenticationResult;
    expect(claimsOf(refreshed?.AccessToken)).toMatchObject({ token_use: "access", "custom:tenantId": "acme" });

    for (const token of [signedIn?.AccessToken, refreshed?.AccessToken]) {
      const products = await api("GET", "/products?limit=1", { token });
      expect(products.status, JSON.stringify(products.body)).toBe(200);
    }
  });

  it("fails the sign-in, as Cognito does, when the trigger cannot run", async () => {
    const { UserPool } = await cognito.send(
      new CreateUserPoolCommand({
        PoolName: `broken-trigger-${Date.now()}`,
        LambdaConfig: {
          PreTokenGenerationConfig: {
            LambdaVersion: "V2_0",
            LambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:no-such-function",
          },
        },
      }),
    );
    const poolId = UserPool?.Id as string;
    const { UserPoolClient } = await cognito.send(
      new CreateUserPoolClientCommand({
        UserPoolId: poolId,
        ClientName: "broken-trigger-app",
        ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH"],
      }),
    );
    const username = "someone@broken-trigger.test";
    await cognito.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: username }));
    await cognito.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: poolId,
        Username: username,
        Password: DEMO_PASSWORD,
        Permanent: true,
      }),
    );
    await expect(passwordSignIn(UserPoolClient?.ClientId as string, username)).rejects.toMatchObject({
      name: "UserLambdaValidationException",
    });
  });
});
