/** Cognito pre-token-generation (V2) trigger: copies the immutable tenant claim into access tokens. */
import type { PreTokenGenerationV2TriggerEvent } from "aws-lambda";
import { logger } from "../observability/logger.ts";
import { TENANT_CLAIM, TENANT_ID_PATTERN } from "./token-verifier.ts";

/**
 * Cognito access tokens carry no custom attributes; this trigger (V2, which needs the Essentials
 * or Plus feature plan) adds `custom:tenantId` so APIs can accept access tokens too. A user
 * without a well-formed tenant attribute gets no claim, and the verifier then refuses the token.
 *
 * @example
 * // functions/pre-token-generation/handler.ts
 * export const handler = createPreTokenGenerationHandler();
 */
export function createPreTokenGenerationHandler() {
  return async function preTokenGeneration(
    event: PreTokenGenerationV2TriggerEvent,
  ): Promise<PreTokenGenerationV2TriggerEvent> {
    const tenantId = event.request.userAttributes[TENANT_CLAIM];
    if (!tenantId || !TENANT_ID_PATTERN.test(tenantId)) {
      logger.warn("user has no valid tenant attribute; access token gets no tenant claim", { user: event.userName });
      return event;
    }
    event.response = {
      claimsAndScopeOverrideDetails: {
        accessTokenGeneration: { claimsToAddOrOverride: { [TENANT_CLAIM]: tenantId } },
      },
    };
    return event;
  };
}
