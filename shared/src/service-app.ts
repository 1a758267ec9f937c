/** Builds a service's Hono app with the wiring every service shares: validation errors, error model, tenant context. */
import { OpenAPIHono } from "@hono/zod-openapi";
import {
  type FieldError,
  FieldProblemError,
  handleError,
  handleNotFound,
  limitJsonDepth,
  PayloadTooLargeError,
  ProblemError,
  publicRequestContext,
  type TenantContextOptions,
  type TenantEnv,
  tenantContext,
  ValidationError,
} from "@tenantkit/tenant-context";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";

/** Largest JSON body a service accepts; API Gateway's own limit is 10 MB. */
export const MAX_BODY_BYTES = 64 * 1024;

const LOCATIONS: Record<string, FieldError["location"]> = {
  json: "body",
  form: "body",
  param: "path",
  query: "query",
  header: "header",
};

/** The value at `path` in what was validated; undefined where the path leaves what was sent. */
function sentValueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** What zod reports for a field that is not there: the type, enum value or union member it lacks. */
const MISSING_FIELD_ISSUES = new Set(["invalid_type", "invalid_value", "invalid_union"]);

/**
 * Turns zod issues into field errors that name the field and where it was. Given what was
 * validated, a required field that was not sent says "is required" rather than what its type is.
 *
 * @example
 * throw new ValidationError(fieldErrors(parsed.error, "json", body));
 */
export function fieldErrors(error: ZodError, target: string, input?: unknown): FieldError[] {
  const location = LOCATIONS[target] ?? "body";
  return error.issues.map((issue) => ({
    location,
    field: issue.path.length > 0 ? issue.path.join(".") : "(root)",
    message:
      MISSING_FIELD_ISSUES.has(issue.code) && input !== undefined && sentValueAt(input, issue.path) === undefined
        ? "is required"
        : issue.message,
  }));
}

/** 415: a JSON route's body came with a Content-Type that is not JSON, or with none; names the header. */
const unsupportedMediaType = () =>
  new FieldProblemError(415, "Unsupported Media Type", [
    { location: "header", field: "Content-Type", message: "must be application/json" },
  ]);

/**
 * A new service app: OpenAPI-described routes validated by zod (400 problem+json naming the
 * field), a body size limit (413), the tenant context, and the one error mapper.
 *
 * @example
 * const app = createServiceApp({ tables: { products: requireEnv("PRODUCTS_TABLE") } });
 * app.openapi(getProductRoute, async (c) => c.json(await getProduct(store(c), c.req.valid("param").id), 200));
 */
export function createServiceApp(options: TenantContextOptions = {}): OpenAPIHono<TenantEnv> {
  return newApp(tenantContext(options));
}

/**
 * An app for routes without a tenant (public sign-up): the same validation, limits, error model,
 * correlation id, logs and metrics as `createServiceApp`, but no tenant context, so `c.var.tenant`
 * does not exist.
 *
 * @example
 * const app = createPublicApp();
 * app.openapi(registerRoute, async (c) => c.json(await register(c.req.valid("json")), 201));
 */
export function createPublicApp(): OpenAPIHono<TenantEnv> {
  return newApp(publicRequestContext());
}

function newApp(context: MiddlewareHandler<TenantEnv>): OpenAPIHono<TenantEnv> {
  const app = new OpenAPIHono<TenantEnv>({
    defaultHook: (result) => {
      // What was sent: @hono/zod-validator passes it in as `data`, though this hook's type leaves it out.
      const sent = (result as { data?: unknown }).data;
      if (!result.success) throw new ValidationError(fieldErrors(result.error, result.target, sent));
    },
  });
  // First, so that every request, refused ones included, has a correlation id and is in the metrics.
  app.use(context);
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new PayloadTooLargeError(MAX_BODY_BYTES);
      },
    }),
  );
  app.use(limitJsonDepth());
  app.onError((error, c) => {
    // Hono's own validators throw HTTPException, e.g. for a body that is not JSON (400) or not labelled JSON (415).
    if (error instanceof HTTPException && error.status < 500) {
      const problem =
        error.status === 400
          ? new ValidationError([{ location: "body", field: "(root)", message: error.message || "is malformed" }])
          : error.status === 415
            ? unsupportedMediaType()
            : new ProblemError(error.status, error.message || "Request rejected");
      return handleError(problem, c);
    }
    return handleError(error, c);
  });
  app.notFound(handleNotFound);
  return app;
}
