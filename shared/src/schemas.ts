/** Schemas every service's routes share: ids, page size, cursors, free text, problem bodies. */
import { z } from "@hono/zod-openapi";

export const MAX_PAGE_SIZE = 100;

/**
 * A free-text string field (names, descriptions): it must be well-formed Unicode, so a lone UTF-16
 * surrogate (`"Lamp \ud800"`, which JSON escapes can carry and DynamoDB refuses) is a 400 naming
 * the field. Chain the field's own checks after it.
 *
 * @example
 * const name = freeText({ error: "is required" }).trim().min(1, { error: "must not be empty" });
 */
export const freeText = (params?: Parameters<typeof z.string>[0]) =>
  z.string(params).refine((value) => value.isWellFormed(), {
    error: "must be well-formed Unicode text (no lone surrogates)",
    abort: true,
  });

/** Resource ids are UUIDs; anything else is a 400 naming the `id` path parameter. */
export const IdParams = z.object({
  id: z
    .uuid({ error: "must be a UUID" })
    .openapi({ param: { name: "id", in: "path" }, example: "0b6c1c55-2f1e-4a8e-9d43-7f3f0e7d2c11" }),
});

/** `?limit=&cursor=` of every list route. */
export const PageQuery = z.object({
  limit: z.coerce
    .number({ error: "must be a number" })
    .int({ error: "must be a whole number" })
    .min(1, { error: "must be at least 1" })
    .max(MAX_PAGE_SIZE, { error: `must be at most ${MAX_PAGE_SIZE}` })
    .default(20)
    .openapi({ param: { name: "limit", in: "query" } }),
  cursor: z
    .string()
    .min(1)
    .max(2048, { error: "is too long" })
    .optional()
    .openapi({ param: { name: "cursor", in: "query" }, description: "`nextCursor` of the previous page" }),
});

/** RFC 9457 problem details, as every error is answered. */
export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z
      .array(
        z.object({ location: z.enum(["body", "path", "query", "header"]), field: z.string(), message: z.string() }),
      )
      .optional(),
  })
  .openapi("Problem");

/** The error responses every route can give, for route definitions. */
export const problemResponses = {
  400: { description: "Invalid request", content: { "application/problem+json": { schema: Problem } } },
  401: { description: "Missing or invalid token", content: { "application/problem+json": { schema: Problem } } },
  403: { description: "Not allowed", content: { "application/problem+json": { schema: Problem } } },
  404: {
    description: "Not found (also for another tenant's resources)",
    content: { "application/problem+json": { schema: Problem } },
  },
} as const;

/** A JSON response of a route definition. */
export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/**
 * The `Location` header of a 201 that created a `resource`: its path, `/<resource>s/{id}`.
 *
 * @example
 * headers: z.object({ Location: locationHeader("order", "/orders/0193f3c4-5e1a-7b2c-9d3e-4f5a6b7c8d9e") })
 */
export const locationHeader = (resource: string, example: string) =>
  z.string().openapi({ description: `The ${resource}'s path, \`/${resource}s/{id}\``, example });

/** A problem+json response of a route definition (for statuses beyond `problemResponses`). */
export const problemResponse = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: Problem } },
});

/** A required JSON request body of a route definition. */
export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

/** The security requirement of every route behind the authorizer: a bearer JWT. */
export const bearerSecurity = [{ bearerAuth: [] }];
