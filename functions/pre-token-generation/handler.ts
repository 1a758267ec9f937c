/** Lambda entry point of the Cognito pre-token-generation (V2) trigger: all of it lives in the layer. */
import { createPreTokenGenerationHandler } from "@tenantkit/tenant-context";

export const handler = createPreTokenGenerationHandler();
