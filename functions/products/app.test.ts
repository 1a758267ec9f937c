import { activeTenantRegistry, refusingVerifier, unreachableDataSource } from "@tenantkit/tenant-context/testing";
import { describe, expect, it } from "vitest";
import { createProductsApp } from "./app.ts";

const app = createProductsApp({
  dataSource: unreachableDataSource(),
  verifier: refusingVerifier(),
  registry: activeTenantRegistry(),
});

/** What API Gateway passes on after the Lambda authorizer allowed the request. */
const viaAuthorizer = {
  event: {
    requestContext: {
      requestId: "req-1",
      authorizer: { tenantId: "acme", tier: "basic", userId: "u1", roles: "tenant-user" },
    },
  },
};

const post = (body: string) =>
  app.request("/products", { method: "POST", body, headers: { "Content-Type": "application/json" } }, viaAuthorizer);

const put = (headers: Record<string, string>) =>
  app.request(
    "/products/0b6c1c55-2f1e-4a8e-9d43-7f3f0e7d2c11",
    {
      method: "PUT",
      body: JSON.stringify({ name: "Lamp", priceCents: 1, currency: "EUR", stock: 1 }),
      headers: { "Content-Type": "application/json", ...headers },
    },
    viaAuthorizer,
  );

describe("products app: requests refused before any data access", () => {
  it("names every invalid body field in a 400 problem", async () => {
    const res = await post(JSON.stringify({ name: "", priceCents: 1.5, currency: "euro", stock: -1 }));
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const problem = await res.json();
    expect(problem.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      "currency",
      "name",
      "priceCents",
      "stock",
    ]);
    expect(problem.detail).toMatch(/body field/);
  });

  it("refuses a currency that has the shape of a code but is none", async () => {
    const res = await post(JSON.stringify({ name: "Lamp", priceCents: 1, currency: "ABC", stock: 1 }));
    expect(res.status).toBe(400);
    expect((await res.json()).errors).toEqual([
      { location: "body", field: "currency", message: "must be an ISO 4217 code such as EUR" },
    ]);
  });

  it("refuses a name or description with a lone UTF-16 surrogate with 400 naming the field", async () => {
    // JSON escapes can carry lone surrogates, which are no Unicode text (DynamoDB refuses them).
    const res = await post(
      '{"name":"Lamp \\ud800","description":"\\udc00 bright","priceCents":1,"currency":"EUR","stock":1}',
    );
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const problem = await res.json();
    expect(problem.errors.map((e: { field: string }) => e.field).sort()).toEqual(["description", "name"]);
    expect(problem.errors[0].message).toMatch(/well-formed/);
  });

  it("answers a PUT without If-Match with 428 naming the header", async () => {
    const res = await put({});
    expect(res.status).toBe(428);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toMatchObject({
      status: 428,
      title: "Precondition Required",
      errors: [{ location: "header", field: "If-Match" }],
    });
  });

  it("answers a PUT with a malformed If-Match with 400 naming the header", async () => {
    for (const value of ["3", "'3'", '"3', '"3" "4"', "", "W/", '"3",*']) {
      const res = await put({ "If-Match": value });
      expect(res.status, value).toBe(400);
      expect((await res.json()).errors, value).toEqual([
        expect.objectContaining({ location: "header", field: "If-Match" }),
      ]);
    }
  });

  it("answers a body that is not JSON with 400", async () => {
    const res = await post("{nope");
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });

  it("answers an oversized body with 413", async () => {
    const res = await post(
      JSON.stringify({ name: "x", description: "y".repeat(70_000), priceCents: 1, currency: "EUR", stock: 1 }),
    );
    expect(res.status).toBe(413);
  });

  it("names a malformed id path parameter", async () => {
    const res = await app.request("/products/123", {}, viaAuthorizer);
    expect(res.status).toBe(400);
    expect((await res.json()).errors[0]).toMatchObject({ location: "path", field: "id" });
  });

  it("names an out-of-range limit and a forged cursor", async () => {
    const limit = await app.request("/products?limit=0", {}, viaAuthorizer);
    expect((await limit.json()).errors[0]).toMatchObject({ location: "query", field: "limit" });
    const forged = Buffer.from(JSON.stringify({ tenantId: "globex", productId: "x" })).toString("base64url");
    const cursor = await app.request(`/products?cursor=${forged}`, {}, viaAuthorizer);
    expect(cursor.status).toBe(400);
    expect((await cursor.json()).errors[0]).toMatchObject({ location: "query", field: "cursor" });
  });

  it("answers 404 problem+json for a route it does not have", async () => {
    const res = await app.request("/nope", {}, viaAuthorizer);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });

  it("verifies the token itself when invoked without an authorizer, and refuses a bad one with 401", async () => {
    const res = await app.request(
      "/products",
      { headers: { Authorization: "Bearer abc" } },
      { event: { requestContext: {} } },
    );
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe("Bearer");
  });

  it("echoes a well-formed correlation id, and makes one otherwise", async () => {
    const given = await app.request("/products/123", { headers: { "X-Correlation-Id": "abc-123" } }, viaAuthorizer);
    expect(given.headers.get("x-correlation-id")).toBe("abc-123");
    const made = await app.request("/products/123", { headers: { "X-Correlation-Id": "bad id!" } }, viaAuthorizer);
    expect(made.headers.get("x-correlation-id")).toBe("req-1");
  });
});
