/** Lambda entry point of the API's REQUEST authorizer: all of it lives in the tenant-context layer. */
import { createAuthorizer } from "@tenantkit/tenant-context";

export const handler = createAuthorizer();
