/** The orders service through the local gateway: idempotency, atomic stock, cancel, isolation, export. */
import { describe, expect, it } from "vitest";
import { ACME_ADMIN, ACME_USER, api, GLOBEX_ADMIN, ndjsonLines, stack, tokenOf } from "./client.ts";

const PROBLEM = "application/problem+json";
const GLOBEX_USER = "user@globex.test";

interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: responses are checked field by field in the tests
  body: any;
}

/** Calls the gateway as `email`, with the extra headers orders need (client.ts's `api` sends none). */
async function call(
  email: string,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${await tokenOf(email)}`,
      ...(options.body !== undefined && { "Content-Type": "application/json" }),
      ...options.headers,
    },
    ...(options.body !== undefined && {
      body: typeof options.body === "string" ? options.body : JSON.stringify(options.body),
    }),
  });
  const text = await response.text();
  const type = response.headers.get("content-type") ?? "";
  return {
    status: response.status,
    headers: response.headers,
    body: type.includes("json") && !type.includes("ndjson") && text ? JSON.parse(text) : text,
  };
}

const placeOrder = (email: string, items: { productId: string; quantity: number }[], key = crypto.randomUUID()) =>
  call(email, "POST", "/orders", { body: { items }, headers: { "Idempotency-Key": key } });

async function newProduct(email: string, name: string, stock: number, priceCents = 1999) {
  const created = await api("POST", "/products", { as: email, body: { name, priceCents, currency: "EUR", stock } });
  expect(created.status).toBe(201);
  return created.body as { id: string; name: string };
}

const stockOf = async (email: string, id: string) => (await api("GET", `/products/${id}`, { as: email })).body.stock;

describe("orders through the gateway", () => {
  // globex is on the premium tier: its usage plan admits a burst of 50 requests (basic's does not).
  it("sells the last 10 units of a product to exactly 10 of 50 concurrent orders; the rest get 409 naming it", async () => {
    const product = await newProduct(GLOBEX_ADMIN, `Last ten ${Date.now()}`, 10);
    await tokenOf(GLOBEX_USER);

    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        placeOrder(i % 2 ? GLOBEX_ADMIN : GLOBEX_USER, [{ productId: product.id, quantity: 1 }]),
      ),
    );

    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 409)).toHaveLength(40);
    for (const refused of results.filter((r) => r.status === 409)) {
      expect(refused.headers.get("content-type")).toContain(PROBLEM);
      expect(refused.body).toMatchObject({ status: 409, productId: product.id });
      expect(refused.body.detail).toContain(product.name);
    }
    expect(await stockOf(GLOBEX_ADMIN, product.id)).toBe(0);
  });

  it("places an order priced from the catalogue, not from the client", async () => {
    const product = await newProduct(ACME_ADMIN, "Priced lamp", 5, 4500);
    const res = await call(ACME_USER, "POST", "/orders", {
      body: { items: [{ productId: product.id, quantity: 2, unitPriceCents: 1 }], totalCents: 0 },
      headers: { "Idempotency-Key": crypto.randomUUID() },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(`/orders/${res.body.id}`);
    expect(res.body).toMatchObject({ status: "PLACED", totalCents: 9000, currency: "EUR" });
    expect(res.body.items).toEqual([
      { productId: product.id, name: "Priced lamp", quantity: 2, unitPriceCents: 4500, lineTotalCents: 9000 },
    ]);
    expect(await stockOf(ACME_ADMIN, product.id)).toBe(3);
    expect((await call(ACME_ADMIN, "GET", `/orders/${res.body.id}`)).body).toEqual(res.body);
  });

  it("answers a retried request with the same response and places no second order; another body is 422", async () => {
    const product = await newProduct(ACME_ADMIN, "Retried widget", 5);
    const key = crypto.randomUUID();
    const first = await placeOrder(ACME_USER, [{ productId: product.id, quantity: 1 }], key);
    const retried = await placeOrder(ACME_USER, [{ productId: product.id, quantity: 1 }], key);
    expect(first.status).toBe(201);
    expect(retried.status).toBe(201);
    expect(retried.body).toEqual(first.body);
    expect(retried.headers.get("idempotent-replayed")).toBe("true");

    const changed = await placeOrder(ACME_USER, [{ productId: product.id, quantity: 3 }], key);
    expect(changed.status).toBe(422);
    expect(changed.headers.get("content-type")).toContain(PROBLEM);
    expect(await stockOf(ACME_ADMIN, product.id)).toBe(4);
  });

  it("creates exactly one order from concurrent duplicates", async () => {
    const product = await newProduct(GLOBEX_ADMIN, "Duplicated gadget", 20);
    const key = crypto.randomUUID();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => placeOrder(GLOBEX_ADMIN, [{ productId: product.id, quantity: 1 }], key)),
    );
    expect(results.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    expect(new Set(results.filter((r) => r.status === 201).map((r) => r.body.id)).size).toBe(1);
    expect(await stockOf(GLOBEX_ADMIN, product.id)).toBe(19);
  });

  it("cancels an order once, giving its stock back; a second cancel is 409", async () => {
    const product = await newProduct(ACME_ADMIN, "Cancelled chair", 4);
    const placed = await placeOrder(ACME_USER, [{ productId: product.id, quantity: 3 }]);
    expect(await stockOf(ACME_ADMIN, product.id)).toBe(1);

    const cancelled = await call(ACME_USER, "POST", `/orders/${placed.body.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id: placed.body.id, status: "CANCELLED" });
    expect(await stockOf(ACME_ADMIN, product.id)).toBe(4);

    const again = await call(ACME_USER, "POST", `/orders/${placed.body.id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.headers.get("content-type")).toContain(PROBLEM);
    expect(await stockOf(ACME_ADMIN, product.id)).toBe(4);
  });

  it("answers another tenant's order with 404 on every verb", async () => {
    const product = await newProduct(ACME_ADMIN, "Private desk", 3);
    const mine = await placeOrder(ACME_USER, [{ productId: product.id, quantity: 1 }]);
    for (const [method, path] of [
      ["GET", `/orders/${mine.body.id}`],
      ["POST", `/orders/${mine.body.id}/cancel`],
    ] as const) {
      const res = await call(GLOBEX_ADMIN, method, path);
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toContain(PROBLEM);
    }
    const theirs = await call(GLOBEX_ADMIN, "GET", "/orders?limit=100");
    expect(theirs.body.items.map((o: { id: string }) => o.id)).not.toContain(mine.body.id);
    const borrowed = await placeOrder(GLOBEX_ADMIN, [{ productId: product.id, quantity: 1 }]);
    expect(borrowed.status).toBe(400);
    expect(borrowed.body.errors[0]).toMatchObject({ location: "body", field: "items.0.productId" });
    expect((await call(ACME_ADMIN, "GET", `/orders/${mine.body.id}`)).body.status).toBe("PLACED");
    expect(await stockOf(ACME_ADMIN, product.id)).toBe(2);
  });

  it("answers bad input with 400 problem+json naming the field, never 5xx", async () => {
    const cases: [Answer, string][] = [
      [await call(ACME_USER, "POST", "/orders", { body: { items: [] } }), "header:Idempotency-Key"],
      [await placeOrder(ACME_USER, []), "body:items"],
      [await placeOrder(ACME_USER, [{ productId: "not-a-uuid", quantity: 1 }]), "body:items.0.productId"],
      [await placeOrder(ACME_USER, [{ productId: crypto.randomUUID(), quantity: -1 }]), "body:items.0.quantity"],
      [
        await call(ACME_USER, "POST", "/orders", {
          body: "{oops",
          headers: { "Idempotency-Key": crypto.randomUUID() },
        }),
        "body:(root)",
      ],
      [await call(ACME_USER, "GET", "/orders?status=LOST"), "query:status"],
      [await call(ACME_USER, "GET", "/orders?limit=1000"), "query:limit"],
      [await call(ACME_USER, "GET", "/orders/42"), "path:id"],
    ];
    for (const [res, field] of cases) {
      expect(res.status, field).toBe(400);
      expect(res.headers.get("content-type")).toContain(PROBLEM);
      expect(res.body.errors.map((e: { location: string; field: string }) => `${e.location}:${e.field}`)).toContain(
        field,
      );
    }
  });

  it("lists orders newest first with a status filter, and streams the export as NDJSON", async () => {
    const product = await newProduct(GLOBEX_ADMIN, "Listed thing", 10);
    const first = await placeOrder(GLOBEX_ADMIN, [{ productId: product.id, quantity: 1 }]);
    const second = await placeOrder(GLOBEX_ADMIN, [{ productId: product.id, quantity: 1 }]);
    await call(GLOBEX_ADMIN, "POST", `/orders/${first.body.id}/cancel`);

    const page = await call(GLOBEX_ADMIN, "GET", "/orders?limit=2");
    expect(page.body.items.map((o: { id: string }) => o.id)).toEqual([second.body.id, first.body.id]);
    expect(page.body.nextCursor).toEqual(expect.any(String));
    const cancelled = await call(GLOBEX_ADMIN, "GET", "/orders?status=CANCELLED&limit=100");
    expect(cancelled.body.items.every((o: { status: string }) => o.status === "CANCELLED")).toBe(true);
    expect(cancelled.body.items.map((o: { id: string }) => o.id)).toContain(first.body.id);

    const exported = await call(GLOBEX_ADMIN, "GET", "/orders/export");
    expect(exported.status).toBe(200);
    expect(exported.headers.get("content-type")).toContain("application/x-ndjson");
    const ids = ndjsonLines(exported.body).map((line) => line.id);
    expect(ids.slice(0, 2)).toEqual([second.body.id, first.body.id]);
  });
});
