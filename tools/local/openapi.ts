/** The API's OpenAPI 3.1 document, merged from every service's own OpenAPIHono app, built without AWS. */
import { writeFile } from "node:fs/promises";
import { isDeepStrictEqual } from "node:util";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { IdentityProvider } from "@tenantkit/shared/identity-provider";
import type { TenantEnv } from "@tenantkit/tenant-context";
import {
  activeTenantRegistry,
  fixedAppConfig,
  InMemoryIdempotencyPersistence,
} from "@tenantkit/tenant-context/testing";
import { createAuditApp } from "../../functions/audit/app.ts";
import { createOrdersApp } from "../../functions/orders/app.ts";
import { createProductsApp } from "../../functions/products/app.ts";
import { createRegistrationsApp, createTenantsApp } from "../../functions/tenants/app.ts";
import type { ControlPlane } from "../../functions/tenants/control-plane.ts";
import { createUsersApp } from "../../functions/users/app.ts";
import { type ApiRoute, apiRoutes, loadTemplate, type Template } from "./template.ts";

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI documents are JSON; the tests validate their shape.
export type OpenApiDocument = Record<string, any>;

/** Paths the local gateway serves itself: not in template.yaml, not in the document. */
export const LOCAL_ONLY_PATHS = ["/health", "/openapi.json", "/docs"] as const;

export const SECURITY_SCHEME = "bearerAuth";

const PROBLEM_REF = { $ref: "#/components/schemas/Problem" };

/** Answers any route can give besides its own: the layer's and API Gateway's problems. */
const COMMON_PROBLEMS: Record<string, { name: string; description: string }> = {
  "413": { name: "PayloadTooLarge", description: "The request body is larger than the service accepts" },
  "415": { name: "UnsupportedMediaType", description: "The request body's `Content-Type` is not `application/json`" },
  "429": {
    name: "TooManyRequests",
    description: "Over the tier's rate or the tenant's daily quota; `Retry-After` says when to retry",
  },
  "500": { name: "InternalError", description: "Unexpected error; the body reveals nothing internal" },
  "503": {
    name: "ServiceUnavailable",
    description: "A dependency is unavailable, or the tenant is moving between tiers; `Retry-After` says when to retry",
  },
};

/** An object whose every use throws: the apps are built to read their routes, never to serve requests. */
function unusable<T>(name: string): T {
  const fail = () => {
    throw new Error(`${name} is not available: this app was built only to describe its routes`);
  };
  const handler: ProxyHandler<() => void> = {
    get: (_target, property) => (property === "then" ? undefined : new Proxy(fail, handler)),
    apply: fail,
  };
  return new Proxy(fail, handler) as T;
}

/**
 * Every service's app with test doubles in place of AWS: only the route registries are read.
 *
 * @example
 * for (const { service, app } of serviceApps()) console.log(service, Object.keys(app.getOpenAPI31Document(config).paths));
 */
export function serviceApps(): { service: string; app: OpenAPIHono<TenantEnv> }[] {
  const tenantContext = {
    dataSource: unusable<never>("data"),
    verifier: unusable<never>("token verifier"),
    registry: activeTenantRegistry(),
    config: fixedAppConfig({}),
    secrets: unusable<never>("secrets"),
    metering: false,
  };
  const controlPlane = unusable<ControlPlane>("control plane");
  return [
    { service: "products", app: createProductsApp(tenantContext) },
    {
      service: "orders",
      app: createOrdersApp({
        ...tenantContext,
        idempotency: { persistenceStore: new InMemoryIdempotencyPersistence() },
      }) as unknown as OpenAPIHono<TenantEnv>,
    },
    { service: "audit", app: createAuditApp(tenantContext) as unknown as OpenAPIHono<TenantEnv> },
    { service: "users", app: createUsersApp({ identity: unusable<IdentityProvider>("identity"), tenantContext }) },
    { service: "tenants", app: createTenantsApp({ controlPlane, tenantContext }) },
    { service: "tenants", app: createRegistrationsApp(controlPlane) },
  ];
}

/** `ListProducts` -> `listProducts`: operation ids are the template's event names. */
const operationIdOf = (route: ApiRoute) => route.eventId.charAt(0).toLowerCase() + route.eventId.slice(1);

function mergeComponents(into: OpenApiDocument, from: OpenApiDocument = {}, service: string) {
  for (const [kind, entries] of Object.entries<Record<string, unknown>>(from)) {
    into[kind] ??= {};
    for (const [name, value] of Object.entries(entries)) {
      if (name in into[kind] && !isDeepStrictEqual(into[kind][name], value)) {
        throw new Error(`OpenAPI: ${service} defines components.${kind}.${name} differently from another service`);
      }
      into[kind][name] = value;
    }
  }
}

/** Adds what every operation shares: tags, operation id, security as the template says, common problems. */
function completeOperation(operation: OpenApiDocument, service: string, route: ApiRoute | undefined, hasBody: boolean) {
  operation.tags ??= [service];
  if (route) operation.operationId ??= operationIdOf(route);
  operation.security = route?.authorizer ? [{ [SECURITY_SCHEME]: [] }] : [];
  for (const [status, { name }] of Object.entries(COMMON_PROBLEMS)) {
    if ((status === "413" || status === "415") && !hasBody) continue;
    operation.responses[status] ??= { $ref: `#/components/responses/${name}` };
  }
  if (route?.authorizer) {
    operation.responses["401"] ??= { $ref: "#/components/responses/Unauthorized" };
  }
}

/**
 * Builds the one document of the API: each service's OpenAPIHono app describes its own routes
 * from the zod schemas that validate them; here their paths and components are merged, operation
 * ids and security come from the template's events (bearer JWT where the authorizer guards the
 * route), and the problems every route can answer are added as `application/problem+json`.
 *
 * @example
 * const document = buildOpenApiDocument();
 * console.log(Object.keys(document.paths)); // ["/products", "/products/export", ...]
 */
export function buildOpenApiDocument(apps = serviceApps(), template: Template = loadTemplate()): OpenApiDocument {
  const routes = new Map(apiRoutes(template).map((route) => [`${route.method} ${route.path}`, route]));
  const document: OpenApiDocument = {
    openapi: "3.1.0",
    info: {
      title: "Tenantkit API",
      version: "0.1.0",
      description:
        "Multi-tenant SaaS backend. Every route but `POST /registrations` needs `Authorization: Bearer <Cognito ID or access token>`; " +
        "the tenant comes from the token, never from the request. Errors are `application/problem+json` (RFC 9457).",
    },
    servers: [
      {
        url: "https://{apiId}.execute-api.{region}.amazonaws.com/{stage}",
        description: "A deployed stage (`ApiUrl` output of the stack)",
        variables: {
          apiId: { default: "abcdef1234" },
          region: { default: "us-east-1" },
          stage: { default: "dev", enum: ["dev", "staging", "prod"] },
        },
      },
      { url: "http://127.0.0.1:3000", description: "`npm run dev`" },
    ],
    tags: [],
    paths: {},
    components: {},
  };
  const services = new Set<string>();
  for (const { service, app } of apps) {
    const part = app.getOpenAPI31Document({ openapi: "3.1.0", info: document.info });
    services.add(service);
    mergeComponents(document.components, part.components, service);
    for (const [path, item] of Object.entries<OpenApiDocument>(part.paths ?? {})) {
      document.paths[path] ??= {};
      for (const [method, operation] of Object.entries<OpenApiDocument>(item)) {
        if (document.paths[path][method])
          throw new Error(`OpenAPI: ${method.toUpperCase()} ${path} is described twice`);
        const route = routes.get(`${method.toUpperCase()} ${path}`);
        completeOperation(operation, service, route, operation.requestBody !== undefined);
        document.paths[path][method] = operation;
      }
    }
  }
  document.tags = [...services].map((name) => ({ name }));
  document.components.securitySchemes = {
    [SECURITY_SCHEME]: {
      type: "http",
      scheme: "bearer",
      bearerFormat: "JWT",
      description: "A Cognito ID or access token of the stage's user pool (USER_PASSWORD_AUTH or SRP sign-in)",
    },
  };
  const problem = (description: string) => ({
    description,
    content: { "application/problem+json": { schema: PROBLEM_REF } },
  });
  document.components.responses = {
    ...document.components.responses,
    Unauthorized: problem("Missing or invalid token"),
    ...Object.fromEntries(Object.values(COMMON_PROBLEMS).map(({ name, description }) => [name, problem(description)])),
  };
  return document;
}

if (process.argv[1] === import.meta.filename) {
  // `tsx tools/local/openapi.ts [--out file]`: the document as JSON (the local stack serves it at /openapi.json).
  const outIndex = process.argv.indexOf("--out");
  const text = `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
  if (outIndex === -1) process.stdout.write(text);
  else await writeFile(process.argv[outIndex + 1] as string, text);
}
