import type { PreTokenGenerationV2TriggerEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { createPreTokenGenerationHandler } from "./pre-token-generation.ts";

const eventFor = (userAttributes: Record<string, string>) =>
  ({
    version: "2",
    triggerSource: "TokenGeneration_Authentication",
    userName: "u1",
    request: { userAttributes, groupConfiguration: { groupsToOverride: [] }, scopes: [] },
    response: { claimsAndScopeOverrideDetails: null },
  }) as unknown as PreTokenGenerationV2TriggerEvent;

describe("createPreTokenGenerationHandler", () => {
  const handler = createPreTokenGenerationHandler();

  it("adds the user's tenant to the access token claims", async () => {
    const result = await handler(eventFor({ sub: "u1", "custom:tenantId": "acme" }));
    expect(result.response.claimsAndScopeOverrideDetails?.accessTokenGeneration?.claimsToAddOrOverride).toEqual({
      "custom:tenantId": "acme",
    });
  });

  it("adds nothing for a user without a well-formed tenant attribute", async () => {
    const withoutTenant: Record<string, string>[] = [{ sub: "u1" }, { sub: "u1", "custom:tenantId": "Not A Slug" }];
    for (const attributes of withoutTenant) {
      const result = await handler(eventFor(attributes));
      expect(result.response.claimsAndScopeOverrideDetails).toBeNull();
    }
  });
});
