/** The users API as OpenAPI route definitions. */
import { createRoute, z } from "@hono/zod-openapi";
import { PageQuery, problemResponses } from "@tenantkit/shared/schemas";
import { NewUser, User, UserChange, UserPage } from "./user.ts";

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const body = <T extends z.ZodType>(schema: T) => ({ required: true, content: { "application/json": { schema } } });
const security = [{ bearerAuth: [] }];
const UserIdParams = z.object({
  id: z.uuid({ error: "must be a user id (UUID)" }).openapi({ param: { name: "id", in: "path" } }),
});

export const createUserRoute = createRoute({
  method: "post",
  path: "/users",
  security,
  request: { body: body(NewUser) },
  responses: { 201: json(User, "The new user (invited by email)"), ...problemResponses },
});

export const listUsersRoute = createRoute({
  method: "get",
  path: "/users",
  security,
  request: { query: PageQuery },
  responses: { 200: json(UserPage, "One page of the tenant's users"), ...problemResponses },
});

export const getUserRoute = createRoute({
  method: "get",
  path: "/users/{id}",
  security,
  request: { params: UserIdParams },
  responses: { 200: json(User, "The user"), ...problemResponses },
});

export const changeUserRoute = createRoute({
  method: "patch",
  path: "/users/{id}",
  security,
  request: { params: UserIdParams, body: body(UserChange) },
  responses: { 200: json(User, "The user as changed"), ...problemResponses },
});

export const deleteUserRoute = createRoute({
  method: "delete",
  path: "/users/{id}",
  security,
  request: { params: UserIdParams },
  responses: { 204: { description: "Deleted" }, ...problemResponses },
});
