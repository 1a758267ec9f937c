import { describe, expect, it } from "vitest";
import { SignInError, signIn } from "./sign-in.ts";

/** A fetch that answers like Cognito's InitiateAuth and records the request. */
function cognito(status: number, answer: unknown) {
  const requests: { url: string; init: RequestInit }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    requests.push({ url, init });
    return new Response(JSON.stringify(answer), { status, headers: { "content-type": "application/x-amz-json-1.1" } });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, requests };
}

const options = { region: "eu-west-1", clientId: "client", username: "user@acme.test", password: "secret-password-1" };

describe("signIn", () => {
  it("sends one unsigned USER_PASSWORD_AUTH request to the region's Cognito and returns the tokens", async () => {
    const { fetch, requests } = cognito(200, {
      AuthenticationResult: { IdToken: "id", AccessToken: "access", RefreshToken: "refresh", ExpiresIn: 3600 },
    });
    expect(await signIn({ ...options, fetch })).toEqual({
      idToken: "id",
      accessToken: "access",
      refreshToken: "refresh",
      expiresInSeconds: 3600,
    });
    expect(requests).toHaveLength(1);
    expect(requests[0]?.url).toBe("https://cognito-idp.eu-west-1.amazonaws.com/");
    const headers = requests[0]?.init.headers as Record<string, string>;
    expect(headers["X-Amz-Target"]).toBe("AWSCognitoIdentityProviderService.InitiateAuth");
    expect(headers.Authorization).toBeUndefined();
    expect(JSON.parse(requests[0]?.init.body as string)).toEqual({
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: "client",
      AuthParameters: { USERNAME: "user@acme.test", PASSWORD: "secret-password-1" },
    });
  });

  it("names Cognito's reason when it refuses", async () => {
    const { fetch } = cognito(400, { __type: "NotAuthorizedException", message: "Incorrect username or password." });
    const refused = signIn({ ...options, fetch });
    await expect(refused).rejects.toBeInstanceOf(SignInError);
    await expect(refused).rejects.toMatchObject({ code: "NotAuthorizedException" });
  });

  it("refuses a challenge it cannot answer instead of returning no tokens", async () => {
    const { fetch } = cognito(200, { ChallengeName: "NEW_PASSWORD_REQUIRED", Session: "s" });
    await expect(signIn({ ...options, fetch })).rejects.toMatchObject({ code: "NEW_PASSWORD_REQUIRED" });
  });
});
