import { describe, expect, it } from "vitest";
import { gatewayResponse, readRestApi } from "./rest-api.ts";
import { fixtureResolveContext, fixtureTemplate } from "./test-support.ts";

describe("readRestApi", () => {
  it("takes the API id from the resolve context and the stage from StageName", () => {
    expect(readRestApi(fixtureTemplate(), fixtureResolveContext())).toMatchObject({
      apiId: "fixtureapi",
      stage: "local",
      region: "eu-west-1",
      accountId: "111122223333",
    });
  });

  it("lets the caller choose the stage", () => {
    expect(readRestApi(fixtureTemplate(), fixtureResolveContext(), "dev").stage).toBe("dev");
  });
});

describe("gatewayResponse", () => {
  const api = readRestApi(fixtureTemplate(), fixtureResolveContext());

  it("answers with the template's GatewayResponses, static header values unquoted", () => {
    const response = gatewayResponse(api, "UNAUTHORIZED", 401, "unused");

    expect(response.statusCode).toBe(401);
    expect(response.headers).toEqual({ "content-type": "application/problem+json", "www-authenticate": "Bearer" });
    expect(JSON.parse(String(response.body))).toEqual({
      type: "about:blank",
      title: "Unauthorized",
      status: 401,
      detail: "A valid bearer token is required.",
    });
  });

  it("falls back to a problem+json when the template does not customise the type", () => {
    const response = gatewayResponse(api, "AUTHORIZER_FAILURE", 500, "The authorizer failed.");

    expect(response.statusCode).toBe(500);
    expect(response.headers).toEqual({ "content-type": "application/problem+json" });
    expect(JSON.parse(String(response.body))).toMatchObject({ status: 500, detail: "The authorizer failed." });
  });
});
