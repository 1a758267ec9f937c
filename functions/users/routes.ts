/** The users API as OpenAPI route definitions. */
import { createRoute, z } from "@hono/zod-openapi";
import { bearerSecurity, jsonBody, jsonResponse, PageQuery, problemResponses } from "@tenantkit/shared/schemas";
import { NewUser, User, UserChange, UserPage } from "./user.ts";

const UserIdParams = z.object({
  id: z.uuid({ error: "must be a user id (UUID)" }).openapi({ param: { name: "id", in: "path" } }),
});

export const createUserRoute = createRoute({
  method: "post",
  path: "/users",
  security: bearerSecurity,
  request: { body: jsonBody(NewUser) },
  responses: { 201: jsonResponse(User, "The new user (invited by email)"), ...problemResponses },
});

export const listUsersRoute = createRoute({
  method: "get",
  path: "/users",
  security: bearerSecurity,
  request: { query: PageQuery },
  responses: { 200: jsonResponse(UserPage, "One page of the tenant's users"), ...problemResponses },
});

export const getUserRoute = createRoute({
  method: "get",
  path: "/users/{id}",
  security: bearerSecurity,
  request: { params: UserIdParams },
  responses: { 200: jsonResponse(User, "The user"), ...problemResponses },
});

export const changeUserRoute = createRoute({
  method: "patch",
  path: "/users/{id}",
  security: bearerSecurity,
  description:
    "A new role, or a disable, revokes the tokens the user holds: they are refused (401) within a minute, and the user signs in again to get one with its new role. Enabling revokes nothing.",
  request: { params: UserIdParams, body: jsonBody(UserChange) },
  responses: { 200: jsonResponse(User, "The user as changed"), ...problemResponses },
});

export const deleteUserRoute = createRoute({
  method: "delete",
  path: "/users/{id}",
  security: bearerSecurity,
  description: "The user's tokens are refused (401) within a minute.",
  request: { params: UserIdParams },
  responses: { 204: { description: "Deleted" }, ...problemResponses },
});
