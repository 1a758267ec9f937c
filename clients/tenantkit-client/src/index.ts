/**
 * @module
 * The Tenantkit API client for tenant applications: `signIn` with Cognito, then
 * `createTenantkitClient` for calls typed from the API's OpenAPI document (paths, parameters,
 * bodies, answers and `application/problem+json` errors). Regenerate the types after changing a
 * route with `npm run generate -w @tenantkit/client`.
 */
import type { components } from "./api-types.ts";

export type { components, operations, paths } from "./api-types.ts";
export {
  ApiProblemError,
  createTenantkitClient,
  ok,
  type Problem,
  type TenantkitClient,
  type TenantkitClientOptions,
} from "./client.ts";
export { SignInError, type SignInOptions, signIn, type Tokens } from "./sign-in.ts";

type Schemas = components["schemas"];
export type Product = Schemas["Product"];
export type ProductInput = Schemas["ProductInput"];
export type Order = Schemas["Order"];
export type OrderInput = Schemas["OrderInput"];
export type AuditEntry = Schemas["AuditEntry"];
export type User = Schemas["User"];
export type Tenant = Schemas["Tenant"];
