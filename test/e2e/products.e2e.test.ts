import { describe, expect, it } from "vitest";
import { ACME_ADMIN, ACME_USER, api, GLOBEX_ADMIN, ndjsonLines, newProduct, stack, tokenOf } from "./client.ts";

const PROBLEM = "application/problem+json";

describe("the local gateway", () => {
  it("answers /health without a token", async () => {
    const res = await api("GET", "/health");
    expect(res.status).toBe(200);
  });

  it("refuses a request without a token with 401 problem+json", async () => {
    const res = await api("GET", "/products");
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toContain(PROBLEM);
  });

  it("refuses a tampered token with 401", async () => {
    const [header, payload, signature] = (await tokenOf(ACME_ADMIN)).split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, "custom:tenantId": "globex" })).toString("base64url");
    expect((await api("GET", "/products", { token: `${header}.${forged}.${signature}` })).status).toBe(401);
    expect(
      (await api("GET", "/products", { token: `${header}.${payload}.${signature.slice(0, -4)}AAAA` })).status,
    ).toBe(401);
  });
});

describe("products", () => {
  it("lists the caller's seeded products and none of another tenant's", async () => {
    const acme = await api("GET", "/products?limit=100", { as: ACME_ADMIN });
    expect(acme.status).toBe(200);
    expect(acme.body.items.length).toBeGreaterThanOrEqual(5);
    expect(acme.body.items.every((p: { name: string }) => !p.name.startsWith("Globex"))).toBe(true);
    const globex = await api("GET", "/products?limit=100", { as: GLOBEX_ADMIN });
    expect(globex.body.items.every((p: { name: string }) => !p.name.startsWith("Acme"))).toBe(true);
  });

  it("creates, reads, replaces and deletes a product", async () => {
    const created = await api("POST", "/products", { as: ACME_USER, body: newProduct("Widget") });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "Widget", version: 1 });
    const id = created.body.id;
    expect(created.headers.get("location")).toBe(`/products/${id}`);
    expect(created.headers.get("etag")).toBe('"1"');

    const read = await api("GET", `/products/${id}`, { as: ACME_ADMIN });
    expect(read.body).toEqual(created.body);
    expect(read.headers.get("etag")).toBe('"1"');

    const replaced = await api("PUT", `/products/${id}`, {
      as: ACME_USER,
      body: { ...newProduct("Widget v2"), stock: 7 },
      headers: { "If-Match": read.headers.get("etag") as string },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.headers.get("etag")).toBe('"2"');
    expect(replaced.body).toMatchObject({
      id,
      name: "Widget v2",
      stock: 7,
      version: 2,
      createdAt: created.body.createdAt,
    });

    expect((await api("DELETE", `/products/${id}`, { as: ACME_USER })).status).toBe(204);
    const gone = await api("GET", `/products/${id}`, { as: ACME_USER });
    expect(gone.status).toBe(404);
    expect(gone.headers.get("content-type")).toContain(PROBLEM);
    expect((await api("DELETE", `/products/${id}`, { as: ACME_USER })).status).toBe(404);
  });

  it("refuses a replace from a read that an order made stale with 412, and keeps the order's stock", async () => {
    const created = await api("POST", "/products", { as: ACME_USER, body: { ...newProduct("Stale lamp"), stock: 5 } });
    const path = `/products/${created.body.id}`;
    const stale = await api("GET", path, { as: ACME_USER });
    const order = await fetch(`${stack.url}/orders`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${await tokenOf(ACME_USER)}`,
        "Content-Type": "application/json",
        "Idempotency-Key": crypto.randomUUID(),
      },
      body: JSON.stringify({ items: [{ productId: created.body.id, quantity: 2 }] }),
    });
    expect(order.status).toBe(201);

    // The client edits the price from its stale read and sends the stock it saw: that would undo the order.
    const body = { ...newProduct("Stale lamp"), priceCents: 2499, stock: 5 };
    const refused = await api("PUT", path, {
      as: ACME_USER,
      body,
      headers: { "If-Match": stale.headers.get("etag") as string },
    });
    expect(refused.status).toBe(412);
    expect(refused.headers.get("content-type")).toContain(PROBLEM);
    expect(refused.body.errors).toEqual([expect.objectContaining({ location: "header", field: "If-Match" })]);
    const current = await api("GET", path, { as: ACME_USER });
    expect(current.body).toMatchObject({ stock: 3, priceCents: 1999, version: 2 });
    expect(current.headers.get("etag")).toBe('"2"');

    const retried = await api("PUT", path, {
      as: ACME_USER,
      body: { ...body, stock: current.body.stock },
      headers: { "If-Match": current.headers.get("etag") as string },
    });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ stock: 3, priceCents: 2499, version: 3 });
    expect(retried.headers.get("etag")).toBe('"3"');
  });

  it("answers a replace without If-Match with 428 naming it, and writes nothing", async () => {
    const created = await api("POST", "/products", { as: ACME_USER, body: newProduct("Unconditional") });
    const res = await api("PUT", `/products/${created.body.id}`, { as: ACME_USER, body: newProduct("Overwritten") });
    expect(res.status).toBe(428);
    expect(res.headers.get("content-type")).toContain(PROBLEM);
    expect(res.body.errors).toEqual([expect.objectContaining({ location: "header", field: "If-Match" })]);
    expect((await api("GET", `/products/${created.body.id}`, { as: ACME_USER })).body).toEqual(created.body);
  });

  it("answers text with a lone UTF-16 surrogate with 400 naming the field, not 500", async () => {
    const res = await api("POST", "/products", {
      as: ACME_USER,
      body: '{"name":"Lamp \\ud800","priceCents":1999,"currency":"EUR","stock":3}',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain(PROBLEM);
    expect(res.body.errors).toEqual([expect.objectContaining({ location: "body", field: "name" })]);
  });

  it("answers a bad body with 400 problem+json naming the field, and writes nothing", async () => {
    const before = await api("GET", "/products?limit=100", { as: ACME_ADMIN });
    const res = await api("POST", "/products", { as: ACME_ADMIN, body: { ...newProduct("Bad"), priceCents: -5 } });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain(PROBLEM);
    expect(res.body.errors).toContainEqual(expect.objectContaining({ location: "body", field: "priceCents" }));
    const after = await api("GET", "/products?limit=100", { as: ACME_ADMIN });
    expect(after.body.items.length).toBe(before.body.items.length);
  });

  it("answers a body that is not JSON with 400, not 500", async () => {
    const res = await api("POST", "/products", { as: ACME_ADMIN, body: "{not json" });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain(PROBLEM);
  });

  it("answers a malformed id, limit or cursor with 400 naming it", async () => {
    const id = await api("GET", "/products/not-a-uuid", { as: ACME_ADMIN });
    expect(id.status).toBe(400);
    expect(id.body.errors[0]).toMatchObject({ location: "path", field: "id" });
    const limit = await api("GET", "/products?limit=100000", { as: ACME_ADMIN });
    expect(limit.status).toBe(400);
    expect(limit.body.errors[0]).toMatchObject({ location: "query", field: "limit" });
    const cursor = await api("GET", "/products?cursor=bm90LWEtY3Vyc29y", { as: ACME_ADMIN });
    expect(cursor.status).toBe(400);
    expect(cursor.body.errors[0]).toMatchObject({ location: "query", field: "cursor" });
  });

  it("pages through the catalogue with cursors, each product once", async () => {
    const all = await api("GET", "/products?limit=100", { as: ACME_ADMIN });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api("GET", `/products?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { as: ACME_ADMIN });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((p: { id: string }) => p.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.body.items.map((p: { id: string }) => p.id));
  });
});

describe("tenant isolation", () => {
  it("gives acme 404 for globex's product on every verb and leaves it untouched", async () => {
    const theirs = await api("POST", "/products", { as: GLOBEX_ADMIN, body: newProduct("Globex secret") });
    const id = theirs.body.id;
    for (const [method, body] of [["GET"], ["PUT", newProduct("hijacked")], ["DELETE"]] as const) {
      const res = await api(method, `/products/${id}`, { as: ACME_ADMIN, body, headers: { "If-Match": "*" } });
      expect(res.status, method).toBe(404);
      expect(JSON.stringify(res.body)).not.toContain("Globex secret");
    }
    const list = await api("GET", "/products?limit=100", { as: ACME_ADMIN });
    expect(list.body.items.map((p: { id: string }) => p.id)).not.toContain(id);
    const stillThere = await api("GET", `/products/${id}`, { as: GLOBEX_ADMIN });
    expect(stillThere.body).toEqual(theirs.body);
  });

  it("ignores a tenantId in the body: the product lands in the caller's tenant", async () => {
    const res = await api("POST", "/products", {
      as: ACME_ADMIN,
      body: { ...newProduct("Smuggled"), tenantId: "globex" },
    });
    expect(res.status).toBe(201);
    expect(res.body.tenantId).toBeUndefined();
    expect((await api("GET", `/products/${res.body.id}`, { as: GLOBEX_ADMIN })).status).toBe(404);
    expect((await api("GET", `/products/${res.body.id}`, { as: ACME_ADMIN })).status).toBe(200);
  });
});

describe("export", () => {
  it("streams the catalogue as NDJSON in more than one chunk", async () => {
    const token = await tokenOf(GLOBEX_ADMIN);
    for (let batch = 0; batch < 30; batch++) {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          api("POST", "/products", { token, body: newProduct(`Bulk ${batch}-${i}`) }),
        ),
      );
    }
    const response = await fetch(`${stack.url}/products/export`, { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/x-ndjson");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    let chunks = 0;
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      chunks += 1;
      text += decoder.decode(read.value, { stream: true });
    }
    const lines = ndjsonLines(text);
    expect(lines.length).toBeGreaterThanOrEqual(600);
    expect(lines.every((p) => typeof p.id === "string" && !p.name.startsWith("Acme"))).toBe(true);
    expect(chunks).toBeGreaterThan(1);
  });
});
