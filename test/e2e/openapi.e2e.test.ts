/** The OpenAPI document through the local stack: served at /openapi.json and /docs, and every documented answer is what the route gives. */
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { beforeAll, describe, expect, it } from "vitest";
import { buildOpenApiDocument, type OpenApiDocument } from "../../tools/local/openapi.ts";
import { ACME_ADMIN, ACME_USER, GLOBEX_ADMIN, stack, tokenOf } from "./client.ts";

const SYSTEM_ADMIN = "ops@tenantkit.test";
const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

let document: OpenApiDocument;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const validators = new Map<string, ValidateFunction>();
/** `METHOD /path status` of every answer checked against the document. */
const checked = new Set<string>();

beforeAll(async () => {
  const response = await fetch(`${stack.url}/openapi.json`);
  expect(response.status).toBe(200);
  document = await response.json();
});

/** Follows a `$ref` inside the document. */
function deref(value: OpenApiDocument): OpenApiDocument {
  if (typeof value?.$ref !== "string") return value;
  return deref(
    value.$ref
      .slice(2)
      .split("/")
      .reduce((node: OpenApiDocument, key: string) => node?.[key], document),
  );
}

/** A validator for a documented schema; its `#/components/...` refs resolve in the document's components. */
function validatorFor(key: string, schema: OpenApiDocument): ValidateFunction {
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile({ ...schema, components: document.components });
    validators.set(key, validate);
  }
  return validate;
}

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: checked against the documented schema before use
  body: any;
  // biome-ignore lint/suspicious/noExplicitAny: each line is checked against the documented schema
  lines: any[];
}

/**
 * Calls the stack, then checks the answer against the document: the status must be documented for
 * the route, the documented required headers present, the media type one of the documented ones,
 * and the body (each line of an NDJSON body) valid against the documented schema.
 */
async function call(
  method: string,
  route: string,
  options: { path?: string; as?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const token = options.as ? await tokenOf(options.as) : undefined;
  let response: Response;
  for (let attempt = 0; ; attempt += 1) {
    response = await fetch(`${stack.url}${options.path ?? route}`, {
      method,
      headers: {
        ...(token && { Authorization: `Bearer ${token}` }),
        ...(options.body !== undefined && { "Content-Type": "application/json" }),
        ...options.headers,
      },
      ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
    });
    // The tier's usage plan may throttle a quick sequence of calls; the 429 itself is checked below the last time.
    if (response.status !== 429 || attempt === 3) break;
    await response.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 1000 * Number(response.headers.get("retry-after") ?? 1)));
  }
  const key = `${method} ${route} ${response.status}`;
  const text = await response.text();
  const operation = document.paths[route]?.[method.toLowerCase()];
  expect(operation, `${method} ${route} is not in the document`).toBeDefined();
  const documented = deref(operation.responses[String(response.status)]);
  expect(documented, `${key} is not documented; body: ${text.slice(0, 300)}`).toBeDefined();
  checked.add(key);
  for (const [name, header] of Object.entries<OpenApiDocument>(documented.headers ?? {})) {
    if (header.required) expect(response.headers.get(name), `${key} answered without its ${name} header`).toBeTruthy();
  }

  const mediaType = (response.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
  if (!documented.content) {
    expect(text, `${key} is documented without a body`).toBe("");
    return { status: response.status, body: undefined, lines: [] };
  }
  const media = documented.content[mediaType];
  expect(media, `${key} answered ${mediaType}; documented: ${Object.keys(documented.content)}`).toBeDefined();
  const validate = validatorFor(`${key} ${mediaType}`, media.schema);
  const values = mediaType === "application/x-ndjson" ? text.split("\n").filter(Boolean).map(parse) : [parse(text)];
  for (const value of values) {
    const valid = validate(value);
    expect(valid ? [] : validate.errors, `${key}: ${JSON.stringify(value).slice(0, 300)}`).toEqual([]);
  }
  return { status: response.status, body: values[0], lines: values };
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`not JSON: ${text.slice(0, 200)}`);
  }
}

describe("the local stack's API description", () => {
  it("serves the document built from the services' own route definitions at /openapi.json", () => {
    const built = buildOpenApiDocument();
    expect(document.openapi).toBe("3.1.0");
    expect(document.servers[0]).toEqual({ url: "/", description: "This local stack" });
    expect(document.paths).toEqual(built.paths);
    expect(document.components).toEqual(built.components);
  });

  it("serves Swagger UI at /docs with its assets from the stack itself, not a CDN", async () => {
    const page = await fetch(`${stack.url}/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("url: '/openapi.json'");
    const assets = [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((match) => match[1] as string);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      expect(asset, "served locally").toMatch(/^\/docs\//);
      const response = await fetch(`${stack.url}${asset}`);
      expect(response.status, asset).toBe(200);
      await response.arrayBuffer();
    }
  });
});

describe("every documented answer is what the route gives", () => {
  let productId: string;
  let orderId: string;
  const idempotencyKey = crypto.randomUUID();

  it("products", async () => {
    const created = await call("POST", "/products", {
      as: ACME_ADMIN,
      body: { name: `OpenAPI lamp ${suffix}`, priceCents: 2500, currency: "EUR", stock: 5, sku: `OAS-${suffix}` },
    });
    expect(created.status).toBe(201);
    productId = created.body.id;
    const path = `/products/${productId}`;
    expect((await call("GET", "/products", { path: "/products?limit=3", as: ACME_USER })).status).toBe(200);
    expect((await call("GET", "/products/export", { as: ACME_USER })).lines.length).toBeGreaterThan(0);
    expect((await call("GET", "/products/{id}", { path, as: ACME_USER })).status).toBe(200);
    const body = { name: `OpenAPI lamp v2 ${suffix}`, priceCents: 2600, currency: "EUR", stock: 5 };
    expect((await call("PUT", "/products/{id}", { path, as: ACME_ADMIN, body })).status).toBe(428);
    const replaced = await call("PUT", "/products/{id}", {
      path,
      as: ACME_ADMIN,
      body,
      headers: { "If-Match": '"1"' },
    });
    expect(replaced.body.version).toBe(2);
    const stale = await call("PUT", "/products/{id}", { path, as: ACME_ADMIN, body, headers: { "If-Match": '"1"' } });
    expect(stale.status).toBe(412);
  });

  it("orders", async () => {
    const body = { items: [{ productId, quantity: 2 }] };
    const headers = { "Idempotency-Key": idempotencyKey };
    const placed = await call("POST", "/orders", { as: ACME_USER, body, headers });
    expect(placed.status).toBe(201);
    orderId = placed.body.id;
    const path = `/orders/${orderId}`;
    expect((await call("GET", "/orders", { path: "/orders?limit=5", as: ACME_USER })).status).toBe(200);
    expect((await call("GET", "/orders/{id}", { path, as: ACME_USER })).body).toEqual(placed.body);
    expect((await call("GET", "/orders/export", { as: ACME_USER })).lines.length).toBeGreaterThan(0);
    const reused = await call("POST", "/orders", {
      as: ACME_USER,
      body: { items: [{ productId, quantity: 1 }] },
      headers,
    });
    expect(reused.status).toBe(422);
    const tooMany = await call("POST", "/orders", {
      as: ACME_USER,
      body: { items: [{ productId, quantity: 99 }] },
      headers: { "Idempotency-Key": crypto.randomUUID() },
    });
    expect(tooMany.status).toBe(409);
    expect((await call("POST", "/orders/{id}/cancel", { path: `${path}/cancel`, as: ACME_USER })).status).toBe(200);
    expect((await call("POST", "/orders/{id}/cancel", { path: `${path}/cancel`, as: ACME_USER })).status).toBe(409);
  });

  it("errors, as problem+json", async () => {
    expect((await call("GET", "/products")).status).toBe(401);
    const invalid = await call("POST", "/products", { as: ACME_ADMIN, body: { name: "", priceCents: -1 } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors.length).toBeGreaterThan(0);
    expect((await call("GET", "/users", { as: ACME_USER })).status).toBe(403);
    expect((await call("DELETE", "/products/{id}", { path: `/products/${productId}`, as: ACME_ADMIN })).status).toBe(
      204,
    );
    expect((await call("GET", "/products/{id}", { path: `/products/${productId}`, as: ACME_ADMIN })).status).toBe(404);
  });

  it("audit", async () => {
    expect((await call("GET", "/audit", { path: "/audit?limit=5", as: ACME_ADMIN })).status).toBe(200);
    expect((await call("GET", "/audit/export", { as: GLOBEX_ADMIN })).status).toBe(200);
    expect((await call("GET", "/audit/export", { as: ACME_ADMIN })).status).toBe(403);
  });

  it("users and the own tenant", async () => {
    const created = await call("POST", "/users", {
      as: ACME_ADMIN,
      body: { email: `openapi-${suffix}@acme.test`, role: "tenant-user" },
    });
    expect(created.status).toBe(201);
    const path = `/users/${created.body.userId}`;
    expect((await call("GET", "/users", { as: ACME_ADMIN })).status).toBe(200);
    expect((await call("GET", "/users/{id}", { path, as: ACME_ADMIN })).status).toBe(200);
    expect((await call("PATCH", "/users/{id}", { path, as: ACME_ADMIN, body: { enabled: false } })).status).toBe(200);
    expect((await call("DELETE", "/users/{id}", { path, as: ACME_ADMIN })).status).toBe(204);
    expect((await call("GET", "/tenant", { as: ACME_ADMIN })).status).toBe(200);
  });

  it("tenants, registration and offboarding", async () => {
    const name = `OpenAPI ${suffix}`;
    const created = await call("POST", "/tenants", {
      as: SYSTEM_ADMIN,
      body: { name, tier: "basic", adminEmail: `admin-${suffix}@openapi.test` },
    });
    expect(created.status).toBe(201);
    const path = `/tenants/${created.body.tenantId}`;
    const again = await call("POST", "/tenants", {
      as: SYSTEM_ADMIN,
      body: { name, tier: "basic", adminEmail: `other-${suffix}@openapi.test` },
    });
    expect(again.status).toBe(409);
    expect((await call("GET", "/tenants", { path: "/tenants?limit=5", as: SYSTEM_ADMIN })).status).toBe(200);
    expect((await call("GET", "/tenants/{id}", { path, as: SYSTEM_ADMIN })).status).toBe(200);
    const moved = await call("PATCH", "/tenants/{id}", { path, as: SYSTEM_ADMIN, body: { tier: "standard" } });
    expect(moved.body.tier).toBe("standard");
    const deactivate = `${path}/deactivate`;
    expect((await call("POST", "/tenants/{id}/deactivate", { path: deactivate, as: SYSTEM_ADMIN })).status).toBe(200);
    expect((await call("POST", "/tenants/{id}/activate", { path: `${path}/activate`, as: SYSTEM_ADMIN })).status).toBe(
      200,
    );

    const registered = await call("POST", "/registrations", {
      body: { name: `Registered ${suffix}`, adminEmail: `owner-${suffix}@openapi.test` },
    });
    expect(registered.status).toBe(201);

    for (const tenantId of [created.body.tenantId, registered.body.tenantId]) {
      const offboarded = await call("DELETE", "/tenants/{id}", { path: `/tenants/${tenantId}`, as: SYSTEM_ADMIN });
      expect(offboarded.lines.at(0)).toMatchObject({ type: "tenant" });
      expect(offboarded.lines.at(-1)).toMatchObject({ type: "deleted", tenantId });
    }
  });

  it("left no documented success answer unchecked", () => {
    const missing: string[] = [];
    for (const [path, item] of Object.entries<OpenApiDocument>(document.paths)) {
      for (const [method, operation] of Object.entries<OpenApiDocument>(item)) {
        for (const status of Object.keys(operation.responses)) {
          const key = `${method.toUpperCase()} ${path} ${status}`;
          if (Number(status) < 300 && !checked.has(key)) missing.push(key);
        }
      }
    }
    expect(missing, "documented success answers that this test does not check: add a call above").toEqual([]);
  });
});
