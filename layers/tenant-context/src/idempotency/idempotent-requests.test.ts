import type { IdempotencyRecord } from "@aws-lambda-powertools/idempotency/persistence";
import { Hono } from "hono";
import { describe, expect, it, vi } from "vitest";
import type { TenantTable } from "../data/tenant-scoped-table.ts";
import { ConflictError } from "../http/errors.ts";
import { handleError, type TenantEnv, tenantContext } from "../http/tenant-context.ts";
import { logger } from "../observability/logger.ts";
import { activeTenantRegistry, refusingVerifier } from "../testing/index.ts";
import { IDEMPOTENCY_HEADER, IDEMPOTENT_REPLAYED_HEADER, idempotentRequests } from "./idempotent-requests.ts";
import { InMemoryIdempotencyPersistence } from "./in-memory-persistence.ts";

/** An in-memory store that fails its next save (in progress or success) as a throttled DynamoDB would. */
class FlakyPersistence extends InMemoryIdempotencyPersistence {
  failNext: "put" | "update" | undefined;

  private throttled(operation: "put" | "update") {
    if (this.failNext !== operation) return;
    this.failNext = undefined;
    throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
  }

  protected override async _putRecord(record: IdempotencyRecord): Promise<void> {
    this.throttled("put");
    return super._putRecord(record);
  }

  protected override async _updateRecord(record: IdempotencyRecord): Promise<void> {
    this.throttled("update");
    return super._updateRecord(record);
  }
}

function orderingApp(persistenceStore = new InMemoryIdempotencyPersistence()) {
  let placed = 0;
  let gate: Promise<void> | undefined;
  const app = new Hono<TenantEnv>();
  app.use(
    tenantContext({
      dataSource: { forTenant: () => ({ table: () => ({}) as TenantTable }) },
      metering: false,
      verifier: refusingVerifier(),
      registry: activeTenantRegistry(),
    }),
  );
  app.onError(handleError);
  app.post("/orders", idempotentRequests({ persistenceStore }), async (c) => {
    const body = await c.req.json();
    if (body.outOfStock) throw new ConflictError("not enough stock");
    await gate;
    placed += 1;
    return c.json({ order: placed, tenant: c.var.tenant.id }, 201, { Location: `/orders/${placed}` });
  });
  return {
    app,
    placed: () => placed,
    hold: () => {
      const { promise, resolve } = Promise.withResolvers<void>();
      gate = promise;
      return resolve;
    },
  };
}

const lambdaContext = { getRemainingTimeInMillis: () => 10_000 };
const as = (tenantId: string) => ({
  event: {
    requestContext: { requestId: "r", authorizer: { tenantId, tier: "basic", userId: "u", roles: "tenant-user" } },
  },
  lambdaContext,
});

function post(app: Hono<TenantEnv>, tenantId: string, key: string | undefined, body: unknown) {
  return app.request(
    "/orders",
    {
      method: "POST",
      headers: { "Content-Type": "application/json", ...(key !== undefined && { [IDEMPOTENCY_HEADER]: key }) },
      body: typeof body === "string" ? body : JSON.stringify(body),
    },
    as(tenantId),
  );
}

describe("idempotent requests", () => {
  it("answers a repeated key and body with the stored answer, without running the route again", async () => {
    const { app, placed } = orderingApp();
    const first = await post(app, "acme", "key-1", { sku: "A", quantity: 1 });
    const again = await post(app, "acme", "key-1", { quantity: 1, sku: "A" });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(await again.json()).toEqual(await first.json());
    expect(again.headers.get("location")).toBe(first.headers.get("location"));
    expect(again.headers.get(IDEMPOTENT_REPLAYED_HEADER)).toBe("true");
    expect(first.headers.get(IDEMPOTENT_REPLAYED_HEADER)).toBeNull();
    expect(placed()).toBe(1);
  });

  it("refuses the same key with a different body with 422 problem+json", async () => {
    const { app, placed } = orderingApp();
    await post(app, "acme", "key-2", { quantity: 1 });
    const res = await post(app, "acme", "key-2", { quantity: 2 });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect((await res.json()).detail).toMatch(/different request body/);
    expect(placed()).toBe(1);
  });

  it("keeps two tenants' identical keys apart", async () => {
    const { app, placed } = orderingApp();
    const acme = await post(app, "acme", "shared-key", { quantity: 1 });
    const globex = await post(app, "globex", "shared-key", { quantity: 1 });
    expect((await acme.json()).tenant).toBe("acme");
    expect((await globex.json()).tenant).toBe("globex");
    expect(placed()).toBe(2);
  });

  it("stores only successes: after an error answer the same key runs again", async () => {
    const { app, placed } = orderingApp();
    expect((await post(app, "acme", "key-3", { outOfStock: true })).status).toBe(409);
    expect((await post(app, "acme", "key-3", { outOfStock: true })).status).toBe(409);
    expect(placed()).toBe(0);
  });

  it("answers 409 with Retry-After while the first request with the key still runs", async () => {
    const { app, placed, hold } = orderingApp();
    const release = hold();
    const first = post(app, "acme", "key-4", { quantity: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const concurrent = await post(app, "acme", "key-4", { quantity: 1 });
    release();
    expect((await first).status).toBe(201);
    expect(concurrent.status).toBe(409);
    expect(concurrent.headers.get("retry-after")).toBe("1");
    expect(placed()).toBe(1);
  });

  it("answers the route's 2xx, with a warning logged, when its answer cannot be stored afterwards", async () => {
    const store = new FlakyPersistence();
    const { app, placed } = orderingApp(store);
    const warn = vi.spyOn(logger, "warn");
    try {
      store.failNext = "update";
      const res = await post(app, "acme", "key-5", { quantity: 1 });
      expect(res.status).toBe(201);
      expect(res.headers.get("location")).toBe("/orders/1");
      expect(await res.json()).toEqual({ order: 1, tenant: "acme" });
      expect(placed()).toBe(1);
      expect(warn).toHaveBeenCalledWith(
        expect.stringContaining("not stored"),
        expect.objectContaining({
          route: "POST /orders",
          error: expect.objectContaining({ name: "ThrottlingException" }),
        }),
      );
    } finally {
      warn.mockRestore();
    }
  });

  it("answers the store's own failure before the route runs with 503, and does not run the route", async () => {
    const store = new FlakyPersistence();
    const { app, placed } = orderingApp(store);
    store.failNext = "put";
    const res = await post(app, "acme", "key-6", { quantity: 1 });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).not.toBeNull();
    expect(placed()).toBe(0);
  });

  it.each([
    ["missing", undefined, "is required"],
    ["empty", "", "visible ASCII"],
    ["too long", "k".repeat(256), "visible ASCII"],
    ["with spaces", "my key", "visible ASCII"],
  ])("answers a %s key with 400 naming the header", async (_, key, message) => {
    const { app, placed } = orderingApp();
    const res = await post(app, "acme", key, { quantity: 1 });
    expect(res.status).toBe(400);
    expect((await res.json()).errors).toEqual([
      { location: "header", field: IDEMPOTENCY_HEADER, message: expect.stringContaining(message) },
    ]);
    expect(placed()).toBe(0);
  });

  it("answers a body nested deeper than DynamoDB allows with 400 naming the body, not 500", async () => {
    const { app, placed } = orderingApp();
    const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
    for (const body of [`{"name":${deep(10_000)}}`, `{"quantity":1,"extra":${deep(1_000)}}`]) {
      const res = await post(app, "acme", crypto.randomUUID(), body);
      expect(res.status).toBe(400);
      expect((await res.json()).errors[0]).toMatchObject({ location: "body", field: "(root)" });
    }
    expect(placed()).toBe(0);
  });
});
